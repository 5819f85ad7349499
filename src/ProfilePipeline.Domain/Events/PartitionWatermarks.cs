namespace ProfilePipeline.Domain.Events;

/// <summary>
/// The event-time watermark of a stream read from several partitions, kept as a stream processor keeps it: the newest
/// event time of each partition, and the watermark the oldest of them minus the allowed lateness. A partition read
/// behind the others (a backfill that reads partitions at different paces, a partition just taken over in a rebalance)
/// then does not find its own events late. A partition with no record for <c>idleAfterMs</c> of processing time stops
/// holding the watermark back until its next record, so that a quiet partition does not stall it. A partition the
/// reader was assigned and has not read yet (<see cref="Expect"/>) holds it where it is until its first record, until it
/// turns out to have nothing to read, or until it is idle as long: a consumer hands records on a partition at a time,
/// a fetch's worth of one before the next, and the first partition's must not carry the watermark past the others'. The
/// watermark goes back when a partition behind it joins (taken over in a rebalance, or back from idleness), so that
/// its records are not late either: what the watermark decides (labels released, users found quiet) only waits
/// longer then, and nothing decided is undone. Single-threaded; processing time is passed in, so that the rule is testable.
/// </summary>
/// <remarks>Read from one partition, it is the newest event time seen minus the lateness.</remarks>
public sealed class PartitionWatermarks(long latenessMs, long idleAfterMs)
{
    /// <summary>How long a partition may go without a record before it stops holding the watermark back, unless configured.</summary>
    public static readonly TimeSpan DefaultIdleAfter = TimeSpan.FromMinutes(5);

    private readonly PartitionMap<Partition> _partitions = new();

    private sealed class Partition(long newest, long seenAt)
    {
        /// <summary>long.MinValue for a partition expected and not read yet.</summary>
        public long Newest { get; set; } = newest;
        public long SeenAt { get; set; } = seenAt;
    }

    /// <summary>long.MinValue before any event.</summary>
    public long Current { get; private set; } = long.MinValue;

    /// <summary>Takes an event of <paramref name="partition"/> into account, at processing time <paramref name="now"/> (ms); true when the watermark moved forward.</summary>
    public bool Observe(string partition, long eventTime, long now)
    {
        if (_partitions.Find(partition) is { } seen)
        {
            var newer = eventTime > seen.Newest;
            var wasIdle = now - seen.SeenAt > idleAfterMs;
            seen.Newest = Math.Max(seen.Newest, eventTime);
            seen.SeenAt = now;
            if (!newer && !wasIdle)
                return false; // nothing newer from a partition already counted: the watermark cannot move
        }
        else
            _partitions.Set(partition, new Partition(eventTime, now));
        return Advance(now);
    }

    /// <summary>
    /// A partition assigned to this reader, at processing time <paramref name="now"/> (ms): until its first record it
    /// holds the watermark where it is, unless it is idle first or has nothing to read (<see cref="NothingToRead"/>).
    /// A partition being read already is not changed.
    /// </summary>
    public void Expect(string partition, long now)
    {
        if (_partitions.Find(partition) is null)
            _partitions.Set(partition, new Partition(long.MinValue, now));
    }

    /// <summary>
    /// An expected partition turned out to have no record to read (its consumer reached its end first): it holds the
    /// watermark back no more, until a record of it comes. A partition with records read is not changed.
    /// </summary>
    public void NothingToRead(string partition)
    {
        if (_partitions.Find(partition) is { Newest: long.MinValue })
            _partitions.Remove(partition);
    }

    /// <summary>
    /// Lets go of a partition no longer read here (given up in a rebalance): it holds the watermark back no more, from
    /// the next event on.
    /// </summary>
    public void Forget(string partition) => _partitions.Remove(partition);

    private bool Advance(long now)
    {
        var oldest = long.MaxValue;
        var newest = long.MinValue;
        foreach (var partition in _partitions.Values)
        {
            newest = Math.Max(newest, partition.Newest);
            if (now - partition.SeenAt > idleAfterMs)
                continue;
            if (partition.Newest == long.MinValue)
                return false; // expected, not read yet: where it is in event time is not known
            oldest = Math.Min(oldest, partition.Newest);
        }
        if (newest == long.MinValue)
            return false;
        var candidate = (oldest == long.MaxValue ? newest : oldest) - latenessMs; // all idle: the newest holds
        var forward = candidate > Current;
        Current = candidate;
        return forward;
    }
}
