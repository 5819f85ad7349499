using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>A user who went quiet: their last scored profile, when the quiet period began, and the watermark that saw it.</summary>
/// <param name="QuietSince">Event time (epoch ms) of the user's newest event plus the inactivity gap.</param>
/// <param name="DetectedAt">The watermark (event time) at which the silence was noticed.</param>
public sealed record QuietUser(ScoredProfile Profile, long QuietSince, long DetectedAt);

/// <summary>
/// Inactivity timers in event time. Every applied event of a user sets the user's timer to their newest event time
/// plus <c>inactiveAfter</c>; the newest profile of the user is what is reported. The stream's watermark is the newest event time seen minus <c>lateness</c>; once it
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
    private readonly Dictionary<string, Timer> _timers = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _deadlines = new();
    private long _newest = long.MinValue;

    /// <summary>A user's pending timer: their newest event time seen, and their newest profile (null until one arrives).</summary>
    private sealed class Timer(long lastActivity)
    {
        public long LastActivity { get; set; } = lastActivity;
        public ScoredProfile? Profile { get; set; }
    }

    /// <summary>The newest event time seen minus the allowed lateness (long.MinValue before any).</summary>
    public long Watermark => _newest == long.MinValue ? long.MinValue : _newest - _lateness;

    /// <summary>Users with a pending timer.</summary>
    public int Tracked => _timers.Count;

    /// <summary>Events and updates not tracked because <c>maxUsers</c> users had timers already.</summary>
    public long Untracked { get; private set; }

    /// <summary>
    /// An event of the user was applied at <paramref name="eventTime"/>: the timer moves, and the watermark may advance.
    /// The profile that includes the event may come later (it rides on the last record of the user's micro-batch), so
    /// every applied event is given here as it passes, not only the profiles.
    /// </summary>
    public void Touch(string userId, long eventTime)
    {
        _newest = Math.Max(_newest, eventTime);
        if (TimerOf(userId, eventTime) is { } timer)
            timer.LastActivity = Math.Max(timer.LastActivity, eventTime);
    }

    /// <summary>Takes a profile update: it is what is reported if the user goes quiet; the timer moves to its newest event plus the gap.</summary>
    public void Observe(ScoredProfile profile)
    {
        var asOf = profile.Features.AsOf;
        _newest = Math.Max(_newest, asOf);
        if (TimerOf(profile.Features.UserId, asOf) is not { } timer)
            return;
        timer.LastActivity = Math.Max(timer.LastActivity, asOf);
        if (timer.Profile is null || asOf >= timer.Profile.Features.AsOf)
            timer.Profile = profile;
    }

    private Timer? TimerOf(string userId, long eventTime)
    {
        if (_timers.TryGetValue(userId, out var timer))
            return timer;
        if (_timers.Count >= maxUsers)
        {
            Untracked++;
            return null;
        }
        _timers[userId] = timer = new Timer(eventTime);
        _deadlines.Enqueue(userId, eventTime + _gap); // a deadline moved by a newer event is re-queued when the old one comes up
        return timer;
    }

    /// <summary>The users whose timer the watermark has passed, in the order of their deadlines; each is forgotten once reported.</summary>
    public IReadOnlyList<QuietUser> Advance()
    {
        var watermark = Watermark;
        List<QuietUser>? quiet = null;
        while (_deadlines.TryPeek(out var userId, out var deadline) && deadline <= watermark)
        {
            _deadlines.Dequeue();
            var timer = _timers[userId];
            var actual = timer.LastActivity + _gap;
            if (actual > deadline)
            {
                _deadlines.Enqueue(userId, actual);
                continue;
            }
            _timers.Remove(userId);
            if (timer.Profile is { } profile)
                (quiet ??= []).Add(new QuietUser(profile, actual, watermark));
        }
        return quiet ?? (IReadOnlyList<QuietUser>)[];
    }
}
