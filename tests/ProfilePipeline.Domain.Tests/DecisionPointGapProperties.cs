using CsCheck;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using static ProfilePipeline.Domain.Tests.EventBuilder;

namespace ProfilePipeline.Domain.Tests;

/// <summary>
/// The decision points' min-gap: a user's points are at least the gap apart in event time, and an event that would
/// be a point is dropped only when it comes within the gap after the previous point taken.
/// </summary>
public sealed class DecisionPointGapProperties
{
    private const long Second = 1_000;

    private static DecisionPointSettings WithGap(TimeSpan gap) =>
        DecisionPointSettings.Default with { ViewSampleRate = 0, OnSessionStart = false, MinGap = gap };

    /// <summary>Takes the points of a user's events in order, each decided from the previous point taken, as the entity does.</summary>
    private static List<BehaviorEvent> Taken(DecisionPointSettings settings, IEnumerable<BehaviorEvent> events)
    {
        var taken = new List<BehaviorEvent>();
        foreach (var e in events)
        {
            if (settings.KindOf(e, startsSession: false, taken.Count == 0 ? null : taken[^1].Timestamp) is not null)
                taken.Add(e);
        }
        return taken;
    }

    [Fact]
    public void Points_are_at_least_the_gap_apart_and_a_candidate_is_dropped_only_within_the_gap_after_the_last_point() =>
        Gen.Select(Gen.Select(Gen.Int[0, 600], Gen.Int[0, 2]).Array[1, 80], Gen.Int[0, 900]).Sample((steps, gapSeconds) =>
        {
            var gap = TimeSpan.FromSeconds(gapSeconds);
            var at = Start;
            var events = steps.Select((step, i) =>
            {
                at += step.Item1 * Second;
                return Event(i, step.Item2 switch { 0 => BehaviorType.View, 1 => BehaviorType.CartAdd, _ => BehaviorType.Purchase }, at);
            }).ToList();
            var taken = Taken(WithGap(gap), events);
            var candidates = events.Where(e => e.Type == BehaviorType.CartAdd);
            var apart = taken.Zip(taken.Skip(1), (a, b) => b.Timestamp - a.Timestamp).All(d => d >= (long)gap.TotalMilliseconds);
            var droppedOnlyWithinGap = candidates.Except(taken).All(e =>
                taken.LastOrDefault(p => p.Position.Offset < e.Position.Offset) is { } previous
                && e.Timestamp - previous.Timestamp < (long)gap.TotalMilliseconds);
            return apart && droppedOnlyWithinGap && taken.All(e => e.Type == BehaviorType.CartAdd);
        }, iter: 300);

    [Fact]
    public void No_gap_takes_every_point_even_one_before_the_previous_and_a_gap_drops_a_late_event()
    {
        var previous = Start + 600 * Second;
        var late = Event(1, BehaviorType.CartAdd, Start);
        Assert.Equal(DecisionPointSettings.CartAdd, WithGap(TimeSpan.Zero).KindOf(late, false, previous));
        Assert.Null(WithGap(TimeSpan.FromMinutes(5)).KindOf(late, false, previous));
        Assert.Null(WithGap(TimeSpan.FromMinutes(5)).KindOf(Event(2, BehaviorType.CartAdd, previous + 299 * Second), false, previous));
        Assert.Equal(DecisionPointSettings.CartAdd, WithGap(TimeSpan.FromMinutes(5)).KindOf(Event(3, BehaviorType.CartAdd, previous + 300 * Second), false, previous));
    }

    [Fact]
    public void A_negative_gap_is_refused() =>
        Assert.Throws<ArgumentException>(() => WithGap(TimeSpan.FromSeconds(-1)).Validate());
}
