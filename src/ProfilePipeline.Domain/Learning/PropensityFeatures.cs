using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Learning;

/// <summary>
/// The numeric feature vector the propensity models read, derived from <see cref="ProfileFeatures"/> alone: the same
/// function at a decision point (features as of that event) and at scoring time (features as of the newest event).
/// Counts are log(1 + n), so that a heavy user does not dominate a linear model. The order is part of every stored model.
/// </summary>
public static class PropensityFeatures
{
    public const int Views1h = 0;
    public const int Views24h = 1;
    public const int CartAdds1h = 2;
    public const int CartAdds24h = 3;
    public const int Favorites24h = 4;
    public const int Searches24h = 5;
    public const int Purchases30d = 6;
    public const int PurchasesLifetime = 7;
    public const int Spend30d = 8;
    public const int DaysSincePurchase = 9;
    public const int HasPurchased = 10;
    public const int CartOpen = 11;
    public const int HoursSinceCartAdd = 12;
    public const int SessionEvents = 13;
    public const int DistinctItems = 14;
    public const int DistinctCategories = 15;
    public const int DaysSinceFirstSeen = 16;

    public static readonly IReadOnlyList<string> Names =
    [
        "views_1h", "views_24h", "cart_adds_1h", "cart_adds_24h", "favorites_24h", "searches_24h", "purchases_30d",
        "purchases_lifetime", "spend_30d", "days_since_purchase", "has_purchased", "cart_open", "hours_since_cart_add",
        "session_events", "distinct_items", "distinct_categories", "days_since_first_seen",
    ];

    public static int Count => Names.Count;

    private const double HourMs = 3_600_000;
    private const double DayMs = 24 * HourMs;

    public static float[] Vector(ProfileFeatures f) => Vector(new Inputs(f.AsOf, f.FirstSeen, Counts.Of(f.Lifetime), Counts.Of(f.Last1h),
        Counts.Of(f.Last24h), Counts.Of(f.Last30d), f.LastPurchaseAt, f.LastCartAddAt, f.Sessions.CurrentEvents, f.DistinctItems, f.DistinctCategories));

    /// <summary>
    /// What the vector is computed from: a part of <see cref="ProfileFeatures"/>, which <see cref="ProfileState"/> can give
    /// without building the whole profile, or any object (a decision point needs only this).
    /// </summary>
    public readonly record struct Inputs(
        long AsOf, long FirstSeen, Counts Lifetime, Counts Last1h, Counts Last24h, Counts Last30d,
        long? LastPurchaseAt, long? LastCartAddAt, long SessionEvents, long DistinctItems, long DistinctCategories);

    /// <summary>The totals of a window (or the lifetime) that the vector reads.</summary>
    public readonly record struct Counts(long Views, long Searches, long CartAdds, long Favorites, long Purchases, decimal Spend)
    {
        public static Counts Of(BehaviorTotals t) => new(t.Views, t.Searches, t.CartAdds, t.Favorites, t.Purchases, t.Spend);

        /// <summary>From counts indexed by <see cref="BehaviorType"/> (as a profile keeps them), and the spend.</summary>
        public static Counts Of(ReadOnlySpan<long> counts, decimal spend) => new(counts[(int)BehaviorType.View], counts[(int)BehaviorType.Search],
            counts[(int)BehaviorType.CartAdd], counts[(int)BehaviorType.Favorite], counts[(int)BehaviorType.Purchase], spend);
    }

    public static float[] Vector(in Inputs f)
    {
        var v = new float[Count];
        v[Views1h] = Log(f.Last1h.Views);
        v[Views24h] = Log(f.Last24h.Views);
        v[CartAdds1h] = Log(f.Last1h.CartAdds);
        v[CartAdds24h] = Log(f.Last24h.CartAdds);
        v[Favorites24h] = Log(f.Last24h.Favorites);
        v[Searches24h] = Log(f.Last24h.Searches);
        v[Purchases30d] = Log(f.Last30d.Purchases);
        v[PurchasesLifetime] = Log(f.Lifetime.Purchases);
        v[Spend30d] = Log((double)f.Last30d.Spend);
        v[DaysSincePurchase] = Log(f.LastPurchaseAt is { } bought ? (f.AsOf - bought) / DayMs : 365);
        v[HasPurchased] = f.LastPurchaseAt is null ? 0 : 1;
        v[CartOpen] = f.LastCartAddAt is { } cart && (f.LastPurchaseAt is not { } buy || buy < cart) ? 1 : 0;
        v[HoursSinceCartAdd] = Log(f.LastCartAddAt is { } added ? (f.AsOf - added) / HourMs : 24 * 365);
        v[SessionEvents] = Log(f.SessionEvents);
        v[DistinctItems] = Log(f.DistinctItems);
        v[DistinctCategories] = Log(f.DistinctCategories);
        v[DaysSinceFirstSeen] = Log((f.AsOf - f.FirstSeen) / DayMs);
        return v;
    }

    private static float Log(double n) => (float)Math.Log(1 + Math.Max(0, n));
}
