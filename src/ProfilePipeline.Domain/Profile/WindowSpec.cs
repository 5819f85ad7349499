namespace ProfilePipeline.Domain.Profile;

/// <summary>
/// A sliding window over bucketed event time. Windows are bucket-aligned: the 1 h window at time t counts the
/// events in t's minute and in the 59 minutes before it; the 24 h and 7 d windows count hours, the 30 d window days.
/// </summary>
public sealed record WindowSpec(string Name, long BucketMilliseconds, int Buckets)
{
    public static readonly WindowSpec OneHour = new("1h", 60_000, 60);
    public static readonly WindowSpec OneDay = new("24h", 3_600_000, 24);
    public static readonly WindowSpec SevenDays = new("7d", 3_600_000, 168);
    public static readonly WindowSpec ThirtyDays = new("30d", 86_400_000, 30);

    public static readonly IReadOnlyList<WindowSpec> All = [OneHour, OneDay, SevenDays, ThirtyDays];

    public static long BucketOf(long timestamp, long bucketMilliseconds) => Math.DivRem(timestamp, bucketMilliseconds) switch
    {
        var (q, r) when r < 0 => q - 1,
        var (q, _) => q,
    };

    /// <summary>Whether an event at <paramref name="timestamp"/> falls in this window as seen at <paramref name="asOf"/>.</summary>
    public bool Contains(long timestamp, long asOf)
    {
        var bucket = BucketOf(timestamp, BucketMilliseconds);
        var current = BucketOf(asOf, BucketMilliseconds);
        return timestamp <= asOf && bucket > current - Buckets;
    }
}
