namespace ProfilePipeline.Streams;

/// <summary>Log-scale latency histogram (about 4% resolution) from 1 µs to ~1 h; lock-free recording.</summary>
public sealed class LatencyHistogram
{
    private const int BucketsPerOctave = 16;
    private const int Octaves = 32;
    private readonly long[] _buckets = new long[BucketsPerOctave * Octaves];
    private long _count;
    private long _maxMicros;

    public long Count => Interlocked.Read(ref _count);

    public void Record(TimeSpan latency)
    {
        var micros = Math.Max(1, (long)latency.TotalMicroseconds);
        var index = Math.Clamp((int)(Math.Log2(micros) * BucketsPerOctave), 0, _buckets.Length - 1);
        Interlocked.Increment(ref _buckets[index]);
        Interlocked.Increment(ref _count);
        long seen;
        while (micros > (seen = Interlocked.Read(ref _maxMicros)) && Interlocked.CompareExchange(ref _maxMicros, micros, seen) != seen)
        {
        }
    }

    /// <summary>The latency below which <paramref name="quantile"/> of the recorded values lie (upper bucket edge).</summary>
    public TimeSpan Quantile(double quantile)
    {
        var total = Count;
        if (total == 0)
            return TimeSpan.Zero;
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= rank)
                return TimeSpan.FromMicroseconds(Math.Min(Math.Pow(2, (i + 1.0) / BucketsPerOctave), Interlocked.Read(ref _maxMicros)));
        }
        return Max;
    }

    public TimeSpan Max => TimeSpan.FromMicroseconds(Interlocked.Read(ref _maxMicros));
}
