using System.Collections.Immutable;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Scoring;

/// <summary>Derives tags and the RFM tier from features, and scores propensity with the model it is given. Pure.</summary>
public sealed class ProfileScorer(ScoringSettings settings)
{
    public ScoredProfile Score(ProfileFeatures features, UserAttributes? attributes, IPropensityModel model) =>
        new(features, attributes, model.Score(features), model.Version, Rfm(features), Tags(features, attributes));

    public ImmutableSortedSet<string> Tags(ProfileFeatures f, UserAttributes? attributes)
    {
        var tags = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        if (f.Last30d.Purchases >= settings.HighFrequencyPurchases30d)
            tags.Add(ProfileTags.HighFrequencyShopper);
        if (f.Last30d.Spend >= settings.BigSpender30d)
            tags.Add(ProfileTags.BigSpender);
        if (f.Lifetime.Purchases >= settings.BargainMinPurchases
            && f.Lifetime.Spend / f.Lifetime.Purchases <= settings.BargainMaxAverageOrder)
            tags.Add(ProfileTags.BargainHunter);
        if (f.Lifetime.Events >= settings.EnthusiastMinEvents && f.TopCategories.Count > 0)
        {
            var total = f.TopCategories.Sum(c => c.Score);
            if (total > 0 && f.TopCategories[0].Score / total >= settings.EnthusiastTopShare)
                tags.Add(ProfileTags.CategoryEnthusiast);
        }
        if (f.LastCartAddAt is { } cart && (f.LastPurchaseAt is not { } purchase || purchase < cart)
            && f.AsOf - cart >= (long)settings.CartAbandonAfter.TotalMilliseconds)
            tags.Add(ProfileTags.CartAbandoner);
        if (f.Last30d.Views >= settings.WindowShopperViews30d && f.Last30d.Purchases == 0)
            tags.Add(ProfileTags.WindowShopper);
        var isNew = attributes?.RegisteredAt is { } registered
            ? f.AsOf - registered <= (long)settings.NewUserPeriod.TotalMilliseconds
            : f.Lifetime.Events <= settings.NewUserMaxEvents;
        if (isNew)
            tags.Add(ProfileTags.NewUser);
        if (f.Intervals.MaxSeconds * 1000 >= settings.DormancyGap.TotalMilliseconds)
            tags.Add(ProfileTags.Reactivated);
        return tags.ToImmutable();
    }

    public RfmScore Rfm(ProfileFeatures f)
    {
        var r = f.Rfm.RecencyDays is not { } days ? 1 : 5 - settings.RecencyDays.Count(bound => days > bound);
        var fScore = 1 + settings.FrequencyPurchases.Count(bound => f.Rfm.Frequency30d >= bound);
        var m = 1 + settings.MonetarySpend.Count(bound => f.Rfm.Monetary30d >= bound);
        var tier = (r, fScore, m) switch
        {
            _ when f.LastPurchaseAt is null => RfmTiers.Prospect,
            ( >= 4, >= 4, _) => RfmTiers.Champion,
            ( >= 3, >= 3, _) => RfmTiers.Loyal,
            ( <= 2, >= 2, _) => RfmTiers.AtRisk,
            ( >= 4, _, _) => RfmTiers.NewCustomer,
            ( <= 2, _, _) => RfmTiers.Lapsed,
            _ => RfmTiers.Occasional,
        };
        return new RfmScore(r, fScore, m, tier);
    }
}

/// <summary>The RFM tiers <see cref="ProfileScorer.Rfm"/> gives.</summary>
public static class RfmTiers
{
    public const string Champion = "champion";
    public const string Loyal = "loyal";
    public const string AtRisk = "at_risk";
    public const string NewCustomer = "new_customer";
    public const string Lapsed = "lapsed";
    public const string Occasional = "occasional";
    public const string Prospect = "prospect";

    public static readonly ImmutableSortedSet<string> All = [Champion, Loyal, AtRisk, NewCustomer, Lapsed, Occasional, Prospect];
}

public static class ProfileTags
{
    public const string HighFrequencyShopper = "high_frequency_shopper";
    public const string BigSpender = "big_spender";
    public const string BargainHunter = "bargain_hunter";
    public const string CategoryEnthusiast = "category_enthusiast";
    public const string CartAbandoner = "cart_abandoner";
    public const string WindowShopper = "window_shopper";
    public const string NewUser = "new_user";
    public const string Reactivated = "reactivated";

    /// <summary>Set on a profile published because the user went quiet (see <see cref="Decisions.InactivityTracker"/>).</summary>
    public const string Inactive = "inactive";

    /// <summary>Every tag the scorer or the inactivity timers give, for validating rules.</summary>
    public static readonly ImmutableSortedSet<string> All = [HighFrequencyShopper, BigSpender, BargainHunter, CategoryEnthusiast, CartAbandoner,
        WindowShopper, NewUser, Reactivated, Inactive];
}
