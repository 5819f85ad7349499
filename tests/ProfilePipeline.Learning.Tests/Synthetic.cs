using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Learning.Tests;

/// <summary>Labelled examples drawn from a known logistic model over random feature vectors, reproducibly.</summary>
public sealed class Synthetic(int seed)
{
    private readonly Random _random = new(seed);
    private long _at = 1_767_225_600_000;

    public LabeledExample Next(float[] trueWeights, float trueBias, bool? forceLabel = null)
    {
        var raw = new float[PropensityFeatures.Count];
        for (var i = 0; i < raw.Length; i++)
            raw[i] = (float)(_random.NextDouble() * 2);
        var logit = trueBias + raw.Select((x, i) => x * trueWeights[i]).Sum();
        var label = forceLabel ?? _random.NextDouble() < 1 / (1 + Math.Exp(-logit));
        _at += 1_000;
        return new LabeledExample(new DecisionPoint("u" + _random.Next(1000), "e" + _at, _at, DecisionPointSettings.CartAdd, raw), label, _at);
    }

    public static float[] Weights(params (int Feature, float Weight)[] weights)
    {
        var w = new float[PropensityFeatures.Count];
        foreach (var (feature, weight) in weights)
            w[feature] = weight;
        return w;
    }
}
