using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Learning.Tests;

public sealed class LabelTrackerSpecs
{
    private const long Minute = 60_000;
    private static readonly TimeSpan Horizon = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Lateness = TimeSpan.FromMinutes(5);

    private static DecisionPoint Point(string user, long at) => new(user, $"{user}@{at}", at, DecisionPointSettings.CartAdd, new float[PropensityFeatures.Count]);

    [Fact]
    public void A_purchase_within_the_horizon_makes_a_point_positive_and_every_point_is_released_when_the_watermark_passes_its_horizon()
    {
        var tracker = new LabelTracker(Horizon, Lateness, maxPending: 100);
        var labelled = new List<LabeledExample>();
        tracker.Add(Point("ann", 0));
        tracker.Add(Point("bob", 0));
        tracker.Add(Point("bob", 10 * Minute));

        tracker.Observe("ann", BehaviorType.Purchase, 20 * Minute, labelled);
        // Bob buys 35 minutes after his first point: outside its horizon, inside his second's.
        tracker.Observe("bob", BehaviorType.Purchase, 35 * Minute, labelled);
        Assert.Empty(labelled); // nothing is released before its horizon has passed, positive or not

        // The watermark (newest event time − lateness) passes 0 + 30 min at 35 min + 1 ms: both points at 0 are released.
        tracker.Observe("carl", BehaviorType.View, 35 * Minute + 1, labelled);
        Assert.Equal([("ann", 0L, true), ("bob", 0L, false)], labelled.Select(l => (l.Point.UserId, l.Point.At, l.Purchased)).Order());

        labelled.Clear();
        tracker.Observe("carl", BehaviorType.View, 46 * Minute, labelled);
        Assert.Equal([("bob", 10 * Minute, true)], labelled.Select(l => (l.Point.UserId, l.Point.At, l.Purchased)));
        Assert.Equal(0, tracker.Open);
    }

    [Fact]
    public void A_partition_read_behind_another_finds_its_points_open_and_its_purchases_in_time()
    {
        var tracker = new LabelTracker(Horizon, Lateness, maxPending: 100);
        var labelled = new List<LabeledExample>();
        tracker.Observe("dora", BehaviorType.View, 0, labelled, "behind");
        tracker.Observe("carl", BehaviorType.View, 10 * 60 * Minute, labelled, "ahead");
        Assert.True(tracker.Add(Point("ann", 1 * Minute), "behind")); // ten hours behind the other partition, and not late
        tracker.Observe("ann", BehaviorType.Purchase, 20 * Minute, labelled, "behind");
        tracker.Observe("dora", BehaviorType.View, 40 * Minute, labelled, "behind");
        Assert.Equal([("ann", true)], labelled.Select(l => (l.Point.UserId, l.Purchased)));
    }

    [Fact]
    public void A_partition_taken_over_behind_the_watermark_takes_it_back_with_its_first_record_and_its_points_are_not_late()
    {
        // As the label stage follows a record: its event first, then the point it took.
        var tracker = new LabelTracker(Horizon, Lateness, maxPending: 100);
        var labelled = new List<LabeledExample>();
        tracker.Observe("carl", BehaviorType.View, 10 * 60 * Minute, labelled, "ahead");
        tracker.Expect("taken over", now: 0); // assigned in a rebalance: holds the watermark where it is
        tracker.Observe("carl", BehaviorType.View, 11 * 60 * Minute, labelled, "ahead");
        Assert.Equal(10 * 60 * Minute - Lateness.TotalMilliseconds, tracker.Watermark);

        tracker.Observe("ann", BehaviorType.CartAdd, 1 * Minute, labelled, "taken over"); // ten hours behind: the watermark goes back
        Assert.Equal(1 * Minute - Lateness.TotalMilliseconds, tracker.Watermark);
        Assert.True(tracker.Add(Point("ann", 1 * Minute), "taken over"));
        tracker.Observe("ann", BehaviorType.Purchase, 20 * Minute, labelled, "taken over");
        tracker.Observe("dora", BehaviorType.View, 40 * Minute, labelled, "taken over");
        Assert.Equal([("ann", true)], labelled.Select(l => (l.Point.UserId, l.Purchased)));
        Assert.Equal(0, tracker.TooLate);
    }

    [Fact]
    public void Points_of_a_partition_given_up_are_never_labelled_here_nor_closed_and_come_back_when_restored()
    {
        var tracker = new LabelTracker(Horizon, Lateness, maxPending: 100, keepChanges: true);
        var labelled = new List<LabeledExample>();
        tracker.Add(Point("ann", 0), "p0");
        tracker.Add(Point("bob", 0), "p1");
        tracker.TakeChanges();

        Assert.Equal(1, tracker.Forget("p0"));
        Assert.Equal(1, tracker.Open);
        tracker.Observe("ann", BehaviorType.Purchase, 10 * Minute, labelled); // read by the partition's new owner, not here
        tracker.Observe("carl", BehaviorType.View, 40 * Minute, labelled);
        Assert.Equal(["bob"], labelled.Select(l => l.Point.UserId));
        Assert.Equal(["p1"], tracker.TakeChanges().Select(c => c.Partition)); // p0's point is not closed: its new owner labels it

        Assert.True(tracker.Restore(new OpenDecisionPoint(Point("ann", 0), Purchased: true), "p0")); // the partition came back
        labelled.Clear();
        tracker.Observe("carl", BehaviorType.View, 41 * Minute, labelled);
        Assert.Equal([("ann", true)], labelled.Select(l => (l.Point.UserId, l.Purchased)));
    }

    [Fact]
    public void A_point_older_than_the_closed_horizon_is_counted_too_late_and_too_many_open_points_drop_the_oldest()
    {
        var tracker = new LabelTracker(Horizon, Lateness, maxPending: 2);
        var labelled = new List<LabeledExample>();
        tracker.Observe("x", BehaviorType.View, 120 * Minute, labelled);
        tracker.Add(Point("late", 10 * Minute));
        Assert.Equal(1, tracker.TooLate);

        tracker.Add(Point("a", 100 * Minute));
        tracker.Add(Point("b", 101 * Minute));
        tracker.Add(Point("c", 102 * Minute));
        Assert.Equal(1, tracker.Dropped);
        Assert.Equal(2, tracker.Open);
        tracker.ReleaseAll(labelled);
        Assert.Equal(["b", "c"], labelled.Select(l => l.Point.UserId).Order());
        Assert.All(labelled, l => Assert.False(l.Purchased));
    }

    [Fact]
    public void Exact_auc_handles_ties_and_the_running_auc_agrees_with_it()
    {
        Assert.Equal(0.75, Auc.Exact([(0.1, false), (0.4, true), (0.5, false), (0.8, true)]), 9); // one of four pairs out of order
        Assert.Equal(0.5, Auc.Exact([(0.5, false), (0.5, true)]), 9);
        var random = new Random(1);
        var metrics = new PrequentialMetrics(window: 100_000);
        var examples = Enumerable.Range(0, 20_000).Select(_ =>
        {
            var label = random.NextDouble() < 0.1;
            var score = 1 / (1 + Math.Exp(-(random.NextDouble() * 4 - 4 + (label ? 1.2 : 0))));
            return (score, label);
        }).ToList();
        foreach (var (score, label) in examples)
            metrics.Record(score, label);
        var snapshot = metrics.Snapshot();
        Assert.Equal(Auc.Exact(examples), snapshot.Auc, 3);
        Assert.Equal(Auc.Exact(examples), snapshot.WindowAuc, 9);
        Assert.Equal(examples.Count(e => e.label), snapshot.Positives);
        Assert.InRange(snapshot.Calibration.Sum(c => c.Examples), examples.Count, examples.Count);
    }
}
