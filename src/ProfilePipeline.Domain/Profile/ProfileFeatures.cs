namespace ProfilePipeline.Domain.Profile;

/// <summary>Session statistics; sessions are split where two consecutive events are more than the session gap apart.</summary>
public sealed record SessionStats(long Count, long CurrentEvents, double AverageEvents, double AverageDurationSeconds);

/// <summary>Gaps between a user's consecutive events in event time.</summary>
public sealed record IntervalStats(long Count, double MeanSeconds, double MaxSeconds);

/// <summary>Recency, frequency and monetary value: days since the last purchase, purchases and spend in the last 30 days.</summary>
public sealed record Rfm(double? RecencyDays, long Frequency30d, decimal Monetary30d);

/// <summary>The feature vector of one user as of its newest event time (<see cref="AsOf"/>).</summary>
public sealed record ProfileFeatures(
    string UserId,
    long AsOf,
    long ProfileVersion,
    long FirstSeen,
    BehaviorTotals Lifetime,
    BehaviorTotals Last1h,
    BehaviorTotals Last24h,
    BehaviorTotals Last7d,
    BehaviorTotals Last30d,
    long DistinctItems,
    long DistinctCategories,
    long? LastPurchaseAt,
    long? LastCartAddAt,
    Rfm Rfm,
    SessionStats Sessions,
    IntervalStats Intervals,
    IReadOnlyList<AffinityScore> TopCategories,
    IReadOnlyList<AffinityScore> TopBrands)
{
    public BehaviorTotals Window(WindowSpec window) => window.Name switch
    {
        "1h" => Last1h,
        "24h" => Last24h,
        "7d" => Last7d,
        "30d" => Last30d,
        _ => throw new ArgumentOutOfRangeException(nameof(window), window.Name, "unknown window"),
    };
}
