using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Profile;

/// <summary>
/// Sparse time buckets (counts per behaviour type and spend) covering the last <c>retained</c> buckets
/// before the newest event. Only non-empty buckets are stored, oldest first, so memory is bounded by
/// <c>retained</c> whatever the user does.
/// </summary>
internal sealed class BucketSeries
{
    private readonly long _bucketMilliseconds;
    private readonly int _retained;
    private readonly List<long> _index;
    private readonly List<int> _counts; // BehaviorTypes.Count per bucket; int halves a live profile's largest arrays
    private readonly List<decimal> _spend;

    public BucketSeries(long bucketMilliseconds, int retained)
        : this(bucketMilliseconds, retained, [], [], [])
    {
    }

    private BucketSeries(long bucketMilliseconds, int retained, List<long> index, List<int> counts, List<decimal> spend)
    {
        _bucketMilliseconds = bucketMilliseconds;
        _retained = retained;
        _index = index;
        _counts = counts;
        _spend = spend;
    }

    public int Count => _index.Count;

    public BucketSeries Clone() => new(_bucketMilliseconds, _retained, [.. _index], [.. _counts], [.. _spend]);

    /// <summary>Adds an event; <paramref name="newest"/> is the user's newest event time including this one.</summary>
    public void Add(long timestamp, BehaviorType type, decimal amount, long newest)
    {
        var oldestKept = WindowSpec.BucketOf(newest, _bucketMilliseconds) - _retained + 1;
        var bucket = WindowSpec.BucketOf(timestamp, _bucketMilliseconds);
        if (bucket >= oldestKept)
        {
            var position = _index.BinarySearch(bucket);
            if (position < 0)
            {
                position = ~position;
                _index.Insert(position, bucket);
                _counts.InsertRange(position * BehaviorTypes.Count, new int[BehaviorTypes.Count]);
                _spend.Insert(position, 0m);
            }
            _counts[position * BehaviorTypes.Count + (int)type]++;
            if (type == BehaviorType.Purchase)
                _spend[position] += amount;
        }
        var expired = 0;
        while (expired < _index.Count && _index[expired] < oldestKept)
            expired++;
        if (expired > 0)
        {
            _index.RemoveRange(0, expired);
            _counts.RemoveRange(0, expired * BehaviorTypes.Count);
            _spend.RemoveRange(0, expired);
        }
    }

    /// <summary>Totals over the last <paramref name="buckets"/> buckets up to and including the one holding <paramref name="asOf"/>.</summary>
    public BehaviorTotals Totals(long asOf, int buckets)
    {
        Span<long> counts = stackalloc long[BehaviorTypes.Count];
        var spend = Sum(asOf, buckets, counts);
        return BehaviorTotals.From(counts, spend);
    }

    /// <summary>
    /// <see cref="Totals"/> without an object: the counts per behaviour type are added into <paramref name="counts"/>
    /// (indexed as <see cref="BehaviorTotals.From"/> reads them), and the spend is returned.
    /// </summary>
    public decimal Sum(long asOf, int buckets, Span<long> counts)
    {
        var current = WindowSpec.BucketOf(asOf, _bucketMilliseconds);
        var spend = 0m;
        for (var i = _index.Count - 1; i >= 0 && _index[i] > current - buckets; i--)
        {
            if (_index[i] > current)
                continue;
            for (var t = 0; t < BehaviorTypes.Count; t++)
                counts[t] += _counts[i * BehaviorTypes.Count + t];
            spend += _spend[i];
        }
        return spend;
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_index.Count);
        for (var i = 0; i < _index.Count; i++)
        {
            writer.Write(_index[i]);
            for (var t = 0; t < BehaviorTypes.Count; t++)
                writer.Write7BitEncodedInt64(_counts[i * BehaviorTypes.Count + t]);
            writer.Write(_spend[i]);
        }
    }

    public static BucketSeries ReadFrom(BinaryReader reader, long bucketMilliseconds, int retained)
    {
        var n = reader.ReadInt32();
        var series = new BucketSeries(bucketMilliseconds, retained, new(n), new(n * BehaviorTypes.Count), new(n));
        for (var i = 0; i < n; i++)
        {
            series._index.Add(reader.ReadInt64());
            for (var t = 0; t < BehaviorTypes.Count; t++)
                series._counts.Add(checked((int)reader.Read7BitEncodedInt64()));
            series._spend.Add(reader.ReadDecimal());
        }
        return series;
    }
}
