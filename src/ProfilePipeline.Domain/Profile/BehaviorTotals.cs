using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Profile;

/// <summary>Counts per behaviour type and the purchase spend, over a lifetime or a window.</summary>
public sealed record BehaviorTotals(
    long Views, long Clicks, long Searches, long CartAdds, long CartRemoves, long Favorites, long Purchases, decimal Spend)
{
    public static readonly BehaviorTotals Zero = new(0, 0, 0, 0, 0, 0, 0, 0m);

    public long Events => Views + Clicks + Searches + CartAdds + CartRemoves + Favorites + Purchases;

    public long this[BehaviorType type] => type switch
    {
        BehaviorType.View => Views,
        BehaviorType.Click => Clicks,
        BehaviorType.Search => Searches,
        BehaviorType.CartAdd => CartAdds,
        BehaviorType.CartRemove => CartRemoves,
        BehaviorType.Favorite => Favorites,
        BehaviorType.Purchase => Purchases,
        _ => 0,
    };

    public static BehaviorTotals From(ReadOnlySpan<long> counts, decimal spend) =>
        new(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], spend);
}
