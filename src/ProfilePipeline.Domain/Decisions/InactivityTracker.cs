using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>A user who went quiet: their last scored profile, when the quiet period began, and the watermark that saw it.</summary>
/// <param name="QuietSince">Event time (epoch ms) of the user's newest event plus the inactivity gap.</param>
/// <param name="DetectedAt">The watermark (event time) at which the silence was noticed.</param>
public sealed record QuietUser(ScoredProfile Profile, long QuietSince, long DetectedAt);

/// <summary>
/// Inactivity timers in event time. Every profile update of a user sets the user's timer to their newest event time
/// plus <c>inactiveAfter</c>. The stream's watermark is the newest event time seen minus <c>lateness</c>; once it
/// passes a user's timer and no newer event moved it, the user is reported, once per quiet period. Nothing from the
/// quiet user is needed: other users' events move the watermark.
/// </summary>
/// <remarks>
/// Memory holds one entry per user with a pending timer, at most <c>maxUsers</c>; a user beyond that is not tracked
/// and counted in <see cref="Untracked"/>. The queue holds one entry per user as well: a timer moved by a newer event
/// is re-queued lazily when its old deadline comes up.
/// </remarks>
public sealed class InactivityTracker(TimeSpan inactiveAfter, TimeSpan lateness, int maxUsers)
{
    private readonly long _gap = (long)inactiveAfter.TotalMilliseconds;
    private readonly long _lateness = (long)lateness.TotalMilliseconds;
    private readonly Dictionary<string, ScoredProfile> _latest = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _timers = new();
    private long _newest = long.MinValue;

    /// <summary>The newest event time seen minus the allowed lateness (long.MinValue before any).</summary>
    public long Watermark => _newest == long.MinValue ? long.MinValue : _newest - _lateness;

    /// <summary>Users with a pending timer.</summary>
    public int Tracked => _latest.Count;

    /// <summary>Updates not tracked because <c>maxUsers</c> users had timers already.</summary>
    public long Untracked { get; private set; }

    /// <summary>Takes a profile update: the user's timer moves to its newest event plus the gap, and the watermark may advance.</summary>
    public void Observe(ScoredProfile profile)
    {
        var userId = profile.Features.UserId;
        _newest = Math.Max(_newest, profile.Features.AsOf);
        if (_latest.TryGetValue(userId, out var known))
        {
            if (profile.Features.AsOf >= known.Features.AsOf)
                _latest[userId] = profile; // its queued deadline is checked against this one when it comes up
            return;
        }
        if (_latest.Count >= maxUsers)
        {
            Untracked++;
            return;
        }
        _latest[userId] = profile;
        _timers.Enqueue(userId, profile.Features.AsOf + _gap);
    }

    /// <summary>The users whose timer the watermark has passed, in the order of their deadlines; each is forgotten once reported.</summary>
    public IReadOnlyList<QuietUser> Advance()
    {
        var watermark = Watermark;
        List<QuietUser>? quiet = null;
        while (_timers.TryPeek(out var userId, out var deadline) && deadline <= watermark)
        {
            _timers.Dequeue();
            var profile = _latest[userId];
            var actual = profile.Features.AsOf + _gap;
            if (actual > deadline)
            {
                _timers.Enqueue(userId, actual); // a newer event moved the timer
                continue;
            }
            _latest.Remove(userId);
            (quiet ??= []).Add(new QuietUser(profile, actual, watermark));
        }
        return quiet ?? (IReadOnlyList<QuietUser>)[];
    }
}
