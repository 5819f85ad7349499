using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>A user who went quiet, as the tracker saw them.</summary>
/// <param name="Partition">The input partition whose records armed the timer (the key of the durable timer index).</param>
/// <param name="LastActivity">The newest event time of the user the tracker saw.</param>
/// <param name="QuietSince">Event time (epoch ms) of that event plus the inactivity gap.</param>
/// <param name="DetectedAt">The watermark (event time) at which the silence was noticed.</param>
public sealed record QuietUser(string UserId, string Partition, long LastActivity, long QuietSince, long DetectedAt);

/// <summary>
/// Inactivity timers in event time. Every applied event of a user sets the user's timer to their newest event time
/// plus <c>inactiveAfter</c>. The stream's watermark is the event time every partition read has reached, minus
/// <c>lateness</c> (see <see cref="PartitionWatermarks"/>); once it passes a user's timer and no newer event moved it,
/// the user is reported, once per quiet period. Nothing from the quiet user is needed: other users' events move the
/// watermark.
/// </summary>
/// <remarks>
/// Memory holds one entry per user with a pending timer (an id, a time and the partition), at most <c>maxUsers</c>;
/// a user beyond that is not tracked and counted in <see cref="Untracked"/>. The queue holds one entry per user as
/// well: a timer moved by a newer event is re-queued lazily when its old deadline comes up. What is reported is only
/// who and when: the caller asks the user's entity for the profile, which is the truth after a restart or a rebalance.
/// </remarks>
/// <param name="idlePartitionAfter">A partition with no record for this long (processing time) stops holding the watermark back.</param>
public sealed class InactivityTracker(TimeSpan inactiveAfter, TimeSpan lateness, int maxUsers, TimeSpan? idlePartitionAfter = null) : IPartitionedState
{
    private readonly long _gap = (long)inactiveAfter.TotalMilliseconds;
    private readonly PartitionWatermarks _watermarks = new((long)lateness.TotalMilliseconds,
        (long)(idlePartitionAfter ?? PartitionWatermarks.DefaultIdleAfter).TotalMilliseconds);
    private readonly Dictionary<string, Timer> _timers = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _deadlines = new();

    private sealed class Timer(string partition, long lastActivity)
    {
        public string Partition { get; } = partition;
        public long LastActivity { get; set; } = lastActivity;
    }

    /// <summary>The event time every partition read (and not idle) has reached, minus the allowed lateness (long.MinValue before any).</summary>
    public long Watermark => _watermarks.Current;

    /// <summary>Users with a pending timer.</summary>
    public int Tracked => _timers.Count;

    /// <summary>Events not tracked because <c>maxUsers</c> users had timers already.</summary>
    public long Untracked { get; private set; }

    /// <summary>
    /// An event of the user from <paramref name="partition"/> was applied at <paramref name="eventTime"/>: the timer
    /// moves, and the watermark may advance. True when the user had no timer: a timer was armed.
    /// </summary>
    /// <param name="now">Processing time (ms, any steady clock), for telling idle partitions.</param>
    public bool Touch(string userId, string partition, long eventTime, long now = 0)
    {
        _watermarks.Observe(partition, eventTime, now);
        return Arm(userId, partition, eventTime);
    }

    /// <summary>
    /// Arms or moves the user's timer to <paramref name="lastActivity"/> plus the gap without moving the watermark: for a
    /// timer restored from the durable index, or a newer activity the user's entity reported (a profile update, which
    /// after a crash may be ahead of the records read). True when newly armed.
    /// </summary>
    public bool Arm(string userId, string partition, long lastActivity)
    {
        if (_timers.TryGetValue(userId, out var timer))
        {
            timer.LastActivity = Math.Max(timer.LastActivity, lastActivity);
            return false;
        }
        if (_timers.Count >= maxUsers)
        {
            Untracked++;
            return false;
        }
        _timers[userId] = new Timer(partition, lastActivity);
        _deadlines.Enqueue(userId, lastActivity + _gap); // a deadline moved by a newer event is re-queued when the old one comes up
        return true;
    }

    /// <inheritdoc />
    public void Expect(string partition, long now) => _watermarks.Expect(partition, now);

    /// <inheritdoc />
    public void NothingToRead(string partition) => _watermarks.NothingToRead(partition);

    /// <summary>
    /// Lets go of the timers of a partition no longer read here (it moved to another node, which restores them from the
    /// partition's durable index); gives how many.
    /// </summary>
    public int Forget(string partition)
    {
        _watermarks.Forget(partition);
        var theirs = _timers.Where(t => t.Value.Partition == partition).Select(t => t.Key).ToList();
        theirs.ForEach(userId => _timers.Remove(userId)); // their deadlines are skipped when they come up
        return theirs.Count;
    }

    /// <summary>The users whose timer the watermark has passed, in the order of their deadlines; each is forgotten once reported.</summary>
    public IReadOnlyList<QuietUser> Advance()
    {
        var watermark = Watermark;
        List<QuietUser>? quiet = null;
        while (_deadlines.TryPeek(out var userId, out var deadline) && deadline <= watermark)
        {
            _deadlines.Dequeue();
            if (!_timers.TryGetValue(userId, out var timer))
                continue; // forgotten with its partition

            var actual = timer.LastActivity + _gap;
            if (actual > deadline)
            {
                _deadlines.Enqueue(userId, actual);
                continue;
            }
            _timers.Remove(userId);
            (quiet ??= []).Add(new QuietUser(userId, timer.Partition, timer.LastActivity, actual, watermark));
        }
        return quiet ?? (IReadOnlyList<QuietUser>)[];
    }
}
