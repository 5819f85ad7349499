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

    public double ScoreVector(ReadOnlySpan<float> v)
    {
        // The vector holds log(1 + count) already.
        var logit = -3.0
                    + 0.8 * v[PropensityFeatures.CartAdds24h]
                    + 0.5 * v[PropensityFeatures.Purchases30d]
                    + 0.3 * v[PropensityFeatures.Views24h]
                    + 0.4 * v[PropensityFeatures.Favorites24h]
                    + 0.6 * v[PropensityFeatures.CartOpen];
        return 1 / (1 + Math.Exp(-logit));
    }
}
