using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Learning;

/// <summary>
/// A moment at which the shop could act on a prediction, with the propensity features exactly as they were then:
/// computed right after the event was folded and before any later event. Its label comes later, in event time.
/// </summary>
public sealed record DecisionPoint(string UserId, string EventId, long At, string Kind, float[] Features);

/// <summary>
/// Which events are decision points: add-to-cart, the first event of a session, and a deterministic sample of views,
/// each at least <see cref="MinGap"/> (event time) after the user's previous point.
/// </summary>
/// <param name="Horizon">A point is positive if the user purchases within this long after it.</param>
/// <param name="LabelLateness">How late (event time) a purchase may arrive and still count: the label watermark trails the newest event time by this.</param>
public sealed record DecisionPointSettings(bool OnCartAdd, bool OnSessionStart, double ViewSampleRate, TimeSpan Horizon, TimeSpan LabelLateness)
{
    public static readonly DecisionPointSettings Default = new(true, true, 0.05, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5));

    /// <summary>
    /// The least event time between two points of one user. A user who adds five items to the cart in two minutes
    /// gives five nearly identical examples, mostly with the same label; a gap keeps one of them. Zero keeps all.
    /// </summary>
    public TimeSpan MinGap { get; init; } = TimeSpan.Zero;

    public const string CartAdd = "cart_add";
    public const string SessionStart = "session_start";
    public const string SampledView = "sampled_view";

    /// <summary>
    /// The kind of decision point <paramref name="e"/> is, or null. Purchases are outcomes, never decision points; nor
    /// is an event less than <see cref="MinGap"/> after the user's previous point (<paramref name="previousPointAt"/>,
    /// in milliseconds, null if none), or before it.
    /// </summary>
    public string? KindOf(BehaviorEvent e, bool startsSession, long? previousPointAt)
    {
        if (e.Type == BehaviorType.Purchase)
            return null;
        if (MinGap > TimeSpan.Zero && previousPointAt is { } previous && e.Timestamp - previous < (long)MinGap.TotalMilliseconds)
            return null;
        if (OnSessionStart && startsSession)
            return SessionStart;
        if (OnCartAdd && e.Type == BehaviorType.CartAdd)
            return CartAdd;
        if (e.Type == BehaviorType.View && ViewSampleRate > 0 && Sampled(e.EventId) < ViewSampleRate)
            return SampledView;
        return null;
    }

    /// <summary>A uniform value in [0, 1) from the event id: the same event is sampled the same way on every replay.</summary>
    private static double Sampled(string eventId) => (EventIds.Fingerprint(eventId) & 0xFFFFFF) / (double)0x1000000;

    public DecisionPointSettings Validate()
    {
        if (ViewSampleRate is < 0 or > 1)
            throw new ArgumentException("the view sample rate must be between 0 and 1");
        if (Horizon <= TimeSpan.Zero)
            throw new ArgumentException("the label horizon must be positive");
        if (LabelLateness < TimeSpan.Zero)
            throw new ArgumentException("the label lateness must not be negative");
        if (MinGap < TimeSpan.Zero)
            throw new ArgumentException("the decision points' min-gap must not be negative");
        return this;
    }
}
