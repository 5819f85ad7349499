using CsCheck;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Domain.Tests;

/// <summary>
/// Labels survive crashes. The label stage's protocol is played over a random stream with crashes at random steps,
/// with plain dictionaries for what is durable (the users' entities, the partitions' point indexes, the learner's
/// journal, the checkpoint), and its labels are compared with those of one uninterrupted tracker.
/// </summary>
public sealed class LabelRestartProperties
{
    private static readonly long Start = EventBuilder.Start;
    private const long Minute = 60_000;
    private static readonly TimeSpan Horizon = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Lateness = TimeSpan.FromMinutes(2);

    /// <summary>One event: a user (of 5), its kind (0 view, 1 cart add: a decision point, 2 purchase), and minutes since the previous event.</summary>
    private static readonly Gen<(int User, int Kind, int Step)> Step = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 2], Gen.Int[0, 9]);

    /// <summary>Per batch: its size, and where a crash cuts it (0 none; 1 after the entities applied it; 2 after the labels were delivered; 3 after the index was updated).</summary>
    private static readonly Gen<(int Size, int Crash)> Batch = Gen.Select(Gen.Int[1, 12], Gen.Frequency((6, Gen.Const(0)), (1, Gen.Int[1, 3])));

    private sealed record Record(BehaviorEvent Event, string Partition, bool IsDecisionPoint);

    [Fact]
    public void Every_decision_point_is_labelled_once_and_as_without_crashes_whatever_step_a_crash_cuts()
    {
        Gen.Select(Step.Array[1, 150], Batch.Array[1, 60]).Sample((steps, batches) =>
        {
            var now = Start;
            var stream = steps.Select((s, i) =>
            {
                now += s.Step * Minute;
                var type = s.Kind switch { 1 => BehaviorType.CartAdd, 2 => BehaviorType.Purchase, _ => BehaviorType.View };
                var e = EventBuilder.Event(i, type, now, eventId: $"e{i}") with { UserId = $"u{s.User}" };
                return new Record(e, $"p{s.User % 2}", s.Kind == 1);
            }).ToList();

            var expected = Uninterrupted(stream);
            var learned = WithCrashes(stream, batches);
            Assert.Equal(expected.OrderBy(l => l.Key), learned.OrderBy(l => l.Key));
        }, iter: 300);
    }

    /// <summary>The labels of one tracker that sees the whole stream, then the end of the input.</summary>
    private static Dictionary<string, bool> Uninterrupted(List<Record> stream)
    {
        var tracker = new LabelTracker(Horizon, Lateness, 10_000);
        var labels = new List<LabeledExample>();
        foreach (var record in stream)
        {
            if (record.IsDecisionPoint)
                tracker.Add(PointOf(record.Event), record.Partition);
            tracker.Observe(record.Event.UserId, record.Event.Type, record.Event.Timestamp, labels);
        }
        tracker.ReleaseAll(labels);
        return labels.ToDictionary(l => l.Point.EventId, l => l.Purchased);
    }

    private static DecisionPoint PointOf(BehaviorEvent e) => new(e.UserId, e.EventId, e.Timestamp, DecisionPointSettings.CartAdd, [e.Timestamp % 97]);

    /// <summary>
    /// The label stage's protocol, as <c>LabelStage</c> runs it, with a restart after every crash: the read goes back to
    /// the checkpoint, a new tracker loads each partition's open points when its first record comes by, the entities
    /// answer a replayed event with the point it took, and the learner takes each point once.
    /// </summary>
    private static Dictionary<string, bool> WithCrashes(List<Record> stream, (int Size, int Crash)[] batches)
    {
        var applied = new HashSet<string>();                                   // the entities' journals
        var recentPoints = new Dictionary<string, RecentDecisionPoints>();     // kept by the entities
        var index = new Dictionary<string, Dictionary<string, OpenDecisionPoint>> { ["p0"] = [], ["p1"] = [] };
        var learner = new Dictionary<string, bool>();                          // the learner's journal
        var checkpoint = 0;
        var crashes = 0;
        var b = 0;
        while (true)
        {
            var tracker = new LabelTracker(Horizon, Lateness, 10_000, keepChanges: true);
            var loaded = new HashSet<string>();
            var position = checkpoint;
            var crashed = false;
            while (position < stream.Count && !crashed)
            {
                var (size, crash) = batches[b++ % batches.Length];
                crash = crashes < 6 ? crash : 0; // bounded, so the run ends
                var batch = stream.Skip(position).Take(size).ToList();

                // The entities: a new event is applied and may take a point; a replayed one comes back with the point it took.
                var points = new List<(Record Record, DecisionPoint? Point, bool Applied)>();
                foreach (var record in batch)
                {
                    var e = record.Event;
                    var recent = recentPoints.TryGetValue(e.UserId, out var r) ? r : recentPoints[e.UserId] = new RecentDecisionPoints();
                    if (applied.Add(e.EventId))
                    {
                        var point = record.IsDecisionPoint ? PointOf(e) : null;
                        if (point is not null)
                            recent.Add(point);
                        points.Add((record, point, true));
                    }
                    else
                    {
                        points.Add((record, recent.Find(e.EventId), false));
                    }
                }
                if (crash == 1)
                {
                    crashed = true;
                    break;
                }

                // The label stage: load new partitions, follow the batch, deliver, then persist the changes.
                foreach (var partition in batch.Select(r => r.Partition).Distinct().Where(loaded.Add))
                {
                    foreach (var open in index[partition].Values)
                        tracker.Restore(open, partition);
                }
                var released = new List<LabeledExample>();
                foreach (var (record, point, _) in points)
                {
                    if (point is not null)
                        tracker.Add(point, record.Partition);
                    tracker.Observe(record.Event.UserId, record.Event.Type, record.Event.Timestamp, released);
                }
                foreach (var label in released)
                    learner.TryAdd(label.Point.EventId, label.Purchased);
                if (crash == 2)
                {
                    crashed = true;
                    break;
                }
                foreach (var changes in tracker.TakeChanges())
                {
                    var open = index[changes.Partition];
                    foreach (var opened in changes.Opened)
                        open[opened.Point.EventId] = opened;
                    foreach (var id in changes.Purchased.Where(open.ContainsKey))
                        open[id] = open[id] with { Purchased = true };
                    foreach (var id in changes.Closed)
                        open.Remove(id);
                }
                position += batch.Count;
                if (crash == 3)
                {
                    crashed = true;
                    break;
                }
                checkpoint = position; // the batch is through: its offsets are checkpointed
            }
            if (crashed)
            {
                crashes++;
                continue;
            }
            // The end of the input: every partition's open points are labelled.
            foreach (var partition in index.Keys.Where(loaded.Add))
            {
                foreach (var open in index[partition].Values)
                    tracker.Restore(open, partition);
            }
            var last = new List<LabeledExample>();
            tracker.ReleaseAll(last);
            foreach (var label in last)
                learner.TryAdd(label.Point.EventId, label.Purchased);
            return learner;
        }
    }
}
