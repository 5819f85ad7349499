using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Scoring;

/// <summary>
/// A versioned, immutable purchase-propensity model. The scoring stage holds one and swaps it atomically
/// between batches when a new version is published; a model never changes after it is built.
/// </summary>
public interface IPropensityModel
{
    string Version { get; }

    /// <summary>Probability in [0, 1] that the user purchases within the model's horizon.</summary>
    double Score(ProfileFeatures features);

    /// <summary>The same from a <see cref="Learning.PropensityFeatures"/> vector (a decision point's, for evaluation).</summary>
    double ScoreVector(ReadOnlySpan<float> raw);

    /// <summary>The intercept of the model's logit.</summary>
    double Bias { get; }

    /// <summary>Each feature's contribution to the logit, largest first; with <see cref="Bias"/> they add up to the logit.</summary>
    IReadOnlyList<FeatureContribution> Explain(ReadOnlySpan<float> raw);
}

/// <summary>
/// The model used until a learned one is published: a fixed logistic score of recent funnel activity.
/// Its weights are a baseline, not fitted; the online learner replaces it.
/// </summary>
public sealed class RuleBasedPropensityModel : IPropensityModel
{
    public static readonly RuleBasedPropensityModel Instance = new();

    public string Version => "rules-v1";

    public double Score(ProfileFeatures f) => ScoreVector(PropensityFeatures.Vector(f));

    // The vector holds log(1 + count) already; the rules weigh it as it is (no standardisation).
    private static readonly (int Feature, double Weight)[] Terms =
    [
        (PropensityFeatures.CartAdds24h, 0.8), (PropensityFeatures.Purchases30d, 0.5), (PropensityFeatures.Views24h, 0.3),
        (PropensityFeatures.Favorites24h, 0.4), (PropensityFeatures.CartOpen, 0.6),
    ];

    public double Bias => -3.0;

    public double ScoreVector(ReadOnlySpan<float> v)
    {
        var logit = Bias;
        foreach (var (feature, weight) in Terms)
            logit += weight * v[feature];
        return 1 / (1 + Math.Exp(-logit));
    }

    public IReadOnlyList<FeatureContribution> Explain(ReadOnlySpan<float> v)
    {
        var contributions = new List<FeatureContribution>(Terms.Length);
        foreach (var (feature, weight) in Terms)
            contributions.Add(new FeatureContribution(PropensityFeatures.Names[feature], v[feature], v[feature], weight, weight * v[feature]));
        return [.. contributions.OrderByDescending(c => Math.Abs(c.Contribution))];
    }
}
