using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Learning;

/// <summary>Per-feature centre and scale; a model's weights apply to (raw − mean) / scale.</summary>
public sealed record Standardization(float[] Means, float[] Scales)
{
    public static Standardization Identity(int count) => new(new float[count], [.. Enumerable.Repeat(1f, count)]);

    public float Standardize(int i, float raw) => (raw - Means[i]) / Scales[i];

    public float[] Standardize(ReadOnlySpan<float> raw)
    {
        var z = new float[raw.Length];
        for (var i = 0; i < raw.Length; i++)
            z[i] = Standardize(i, raw[i]);
        return z;
    }
}

/// <summary>The state of a <see cref="RunningStandardizer"/>: examples seen, and per feature the mean and the sum of squared deviations.</summary>
public sealed record StandardizerState(long Count, double[] Mean, double[] M2);

/// <summary>Mean and variance per feature, updated one example at a time (Welford), so normalisation follows the stream.</summary>
public sealed class RunningStandardizer(int count)
{
    private readonly double[] _mean = new double[count];
    private readonly double[] _m2 = new double[count];

    public long Count { get; private set; }

    /// <summary>What it has seen, to be stored and restored exactly.</summary>
    public StandardizerState State => new(Count, [.. _mean], [.. _m2]);

    public static RunningStandardizer From(StandardizerState state)
    {
        var standardizer = new RunningStandardizer(state.Mean.Length) { Count = state.Count };
        state.Mean.CopyTo(standardizer._mean, 0);
        state.M2.CopyTo(standardizer._m2, 0);
        return standardizer;
    }

    public void Add(ReadOnlySpan<float> raw)
    {
        Count++;
        for (var i = 0; i < _mean.Length; i++)
        {
            var delta = raw[i] - _mean[i];
            _mean[i] += delta / Count;
            _m2[i] += delta * (raw[i] - _mean[i]);
        }
    }

    /// <summary>The current centre and scale; a feature that has not varied gets scale 1.</summary>
    public Standardization Snapshot()
    {
        var means = new float[_mean.Length];
        var scales = new float[_mean.Length];
        for (var i = 0; i < means.Length; i++)
        {
            means[i] = (float)_mean[i];
            var sd = Count > 1 ? Math.Sqrt(_m2[i] / (Count - 1)) : 0;
            scales[i] = sd > 1e-6 ? (float)sd : 1f;
        }
        return new Standardization(means, scales);
    }
}

/// <summary>One feature's part in a linear score: weight × standardised value, in logit units.</summary>
public sealed record FeatureContribution(string Feature, double Value, double Standardized, double Weight, double Contribution);

/// <summary>
/// A logistic model over standardised <see cref="PropensityFeatures"/>: p = σ(bias + Σ wᵢ·zᵢ). Immutable; the online
/// learner publishes a new instance for every promoted version.
/// </summary>
public sealed class LinearPropensityModel(string version, float[] weights, float bias, Standardization standardization) : IPropensityModel
{
    public string Version { get; } = version;
    public IReadOnlyList<float> Weights => weights;
    public double Bias => bias;
    public Standardization Standardization => standardization;

    public double Score(ProfileFeatures features) => ScoreVector(PropensityFeatures.Vector(features));

    public double ScoreVector(ReadOnlySpan<float> raw) => Sigmoid(Logit(raw));

    public double Logit(ReadOnlySpan<float> raw)
    {
        double logit = bias;
        for (var i = 0; i < weights.Length; i++)
            logit += (double)weights[i] * standardization.Standardize(i, raw[i]);
        return logit;
    }

    /// <summary>Every feature's contribution, largest magnitude first; with <see cref="Bias"/> they add up to the logit.</summary>
    public IReadOnlyList<FeatureContribution> Explain(ReadOnlySpan<float> raw)
    {
        var contributions = new List<FeatureContribution>(weights.Length);
        for (var i = 0; i < weights.Length; i++)
        {
            var z = standardization.Standardize(i, raw[i]);
            contributions.Add(new FeatureContribution(PropensityFeatures.Names[i], raw[i], z, weights[i], (double)weights[i] * z));
        }
        return [.. contributions.OrderByDescending(c => Math.Abs(c.Contribution))];
    }

    public static double Sigmoid(double logit) => 1 / (1 + Math.Exp(-logit));
}
