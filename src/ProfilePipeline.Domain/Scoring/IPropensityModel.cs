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
}

/// <summary>
/// The model used until a learned one is published: a fixed logistic score of recent funnel activity.
/// Its weights are a baseline, not fitted; the online learner replaces it.
/// </summary>
public sealed class RuleBasedPropensityModel : IPropensityModel
{
    public static readonly RuleBasedPropensityModel Instance = new();

    public string Version => "rules-v1";

    public double Score(ProfileFeatures f)
    {
        var cartOpen = f.LastCartAddAt is { } cart && (f.LastPurchaseAt is not { } buy || buy < cart) ? 1.0 : 0.0;
        var logit = -3.0
                    + 0.8 * Math.Log(1 + f.Last24h.CartAdds)
                    + 0.5 * Math.Log(1 + f.Last30d.Purchases)
                    + 0.3 * Math.Log(1 + f.Last24h.Views)
                    + 0.4 * Math.Log(1 + f.Last24h.Favorites)
                    + 0.6 * cartOpen;
        return 1 / (1 + Math.Exp(-logit));
    }
}
