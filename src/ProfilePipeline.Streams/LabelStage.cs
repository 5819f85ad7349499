using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>Where released labels go: the online learner (on a cluster, through the singleton's proxy).</summary>
public interface ILabelSink
{
    /// <summary>
    /// Completes once the learner holds the labels durably. After a failure the same labels may be delivered again
    /// (a restart releases points whose closing was not yet persisted); the learner takes each decision point once.
    /// </summary>
    Task DeliverAsync(IReadOnlyList<LabeledExample> labels);
}

/// <param name="MaxOpen">Open decision points kept; past it the oldest are dropped unlabelled and counted.</param>
/// <param name="PointIndex">The partitions' durable indexes of open decision points (the sharding region).</param>
public sealed record LabelSettings(DecisionPointSettings DecisionPoints, int MaxOpen, ILabelSink Sink, IActorRef PointIndex)
{
    /// <summary>How the stage asks the partitions' indexes: again after a timeout, as they may be moving.</summary>
    public AskPolicy Asks { get; init; } = AskPolicy.Default;

    /// <summary>A partition with no record for this long (processing time) stops holding the watermark back.</summary>
    public TimeSpan IdlePartitionAfter { get; init; } = PartitionWatermarks.DefaultIdleAfter;
}

/// <summary>
/// Follows the stream in source order, in batches, with a <see cref="LabelTracker"/>: records each decision point the
/// entities took, sees every purchase, and releases labels as the event-time watermark passes their horizon. Passes
/// every record on unchanged. Each node labels the decision points of the users whose events it reads.
/// </summary>
/// <remarks>
/// Nothing is lost to a restart or a rebalance. Per batch, the released labels are delivered to the learner (which
/// persists them) first; then the partition's durable index is told which points opened, which were marked purchased
/// and which closed, and only then does the batch move on (so before its offsets are checkpointed or committed). The
/// tracker follows one batch at a time; the writes are group commits: the batches followed while one write is under
/// way go together in the next, each batch's index changes after the previous batch's. A node loads a partition's open
/// points when the first record of the partition comes by, or when the input finds it with nothing to read (taken over
/// at its end: no record of it may come for long, and its points are labelled as the other partitions' records move the
/// watermark), and lets them go when the input gives the partition up. A
/// crash between the two steps releases some labels again after the restart, which the learner recognises. A purchase
/// replayed after a restart (already applied, so redelivered) marks its points again, in case its mark was not yet
/// durable.
/// </remarks>
public static class LabelStage
{
    /// <summary>
    /// Follows the profile update stage's micro-batches as they come. A write is per batch or group of batches, and
    /// re-batching the flattened records gives batches of a few records when this stage keeps up: on a run of 300,000
    /// generated records in memory it followed 8,200 batches (3,900 writes), where the update stage sends up to 500 a batch.
    /// </summary>
    /// <param name="inFlight">Batches waiting for their writes at once: one group commit under way, the others waiting for the next.</param>
    /// <param name="assignments">What the input's rebalances do to its partitions: a partition given up has its open points let go, for
    /// its new owner; one assigned holds the watermark until its records come.</param>
    public static Flow<IReadOnlyList<PipelineItem>, IReadOnlyList<PipelineItem>, NotUsed> Create(LabelSettings settings, PipelineMetrics metrics,
        PartitionAssignments? assignments = null, int inFlight = 8)
    {
        var labeller = new Labeller(settings, metrics, assignments);
        return Flow.Create<IReadOnlyList<PipelineItem>>()
            .SelectAsync(1, labeller.FollowAsync)
            .SelectAsync(inFlight, labeller.PersistAsync)
            .Select(followed => followed.Batch);
    }

    /// <summary>A batch followed by the tracker: the labels it released and what it changed in the partitions' open points.</summary>
    private sealed record Followed(IReadOnlyList<PipelineItem> Batch, List<LabeledExample> Released, IReadOnlyList<OpenPointChanges> Changes);

    /// <summary>The stage's state for one graph run: the open points in memory, the partitions loaded from their index, the index writes under way.</summary>
    private sealed class Labeller(LabelSettings settings, PipelineMetrics metrics, PartitionAssignments? assignments)
    {
        private readonly LabelTracker _tracker = new(settings.DecisionPoints.Horizon, settings.DecisionPoints.LabelLateness, settings.MaxOpen, keepChanges: true,
            settings.IdlePartitionAfter);
        private readonly PartitionsMet _loaded = new(assignments);
        private readonly object _gate = new();
        private List<(Followed Batch, TaskCompletionSource<Followed> Done)> _waiting = [];
        private bool _writing;
        private Exception? _failed;

        /// <summary>In stream order, one batch at a time: loads the partitions new to this run, then follows the batch in memory.</summary>
        public async Task<Followed> FollowAsync(IReadOnlyList<PipelineItem> batch)
        {
            var now = Environment.TickCount64;
            metrics.RecordDecisionPointsHandedOver(_loaded.ApplyChanges(_tracker, now)); // a partition's new owner restores and labels them
            foreach (var (partition, _) in _loaded.TakeNew(batch))
            {
                var stored = await settings.Asks.AskPagesAsync<PartitionDecisionPoints, OpenDecisionPoint>(settings.PointIndex,
                    after => new GetDecisionPoints(partition, after), page => (page.Points, page.Next), metrics.RecordStageAskRetried).ConfigureAwait(false);
                metrics.RecordDecisionPointsRestored(stored.Count(open => _tracker.Restore(open, partition)));
            }
            var released = new List<LabeledExample>();
            var taken = 0;
            foreach (var item in batch)
            {
                // The record's event first: the first record of a partition behind the watermark takes it back (the
                // partition's points are not late), and a purchase is never a decision point of its own.
                if (item.Event is { } e && item.Outcome is EventOutcome.Applied or EventOutcome.Redelivered)
                    _tracker.Observe(e.UserId, e.Type, e.Timestamp, released, item.Input.SourceId, now);
                if (item.DecisionPoint is { } point && _tracker.Add(point, item.Input.SourceId))
                    taken++;
            }
            metrics.RecordLabels(taken, released, _tracker.Open, _tracker.Dropped + _tracker.TooLate);
            return new Followed(batch, released, _tracker.TakeChanges());
        }

        /// <summary>
        /// Queues the batch for the next write; it moves on once its labels are delivered and its changes written. One
        /// write is under way at a time, and the batches that come by meanwhile wait for the next one, which delivers all
        /// their labels and writes all their changes at once (a group commit): under load, few large writes instead of
        /// many small ones, and each batch's changes still land after the previous batch's.
        /// </summary>
        public Task<Followed> PersistAsync(Followed followed)
        {
            var done = new TaskCompletionSource<Followed>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_failed is { } failure)
                {
                    done.SetException(failure);
                    return done.Task;
                }
                _waiting.Add((followed, done));
                if (_writing)
                    return done.Task;
                _writing = true;
            }
            _ = WriteWaitingAsync();
            return done.Task;
        }

        private async Task WriteWaitingAsync()
        {
            while (true)
            {
                List<(Followed Batch, TaskCompletionSource<Followed> Done)> group;
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _writing = false;
                        return;
                    }
                    (group, _waiting) = (_waiting, []);
                }
                try
                {
                    await WriteAsync(group.Select(g => g.Batch).ToList()).ConfigureAwait(false);
                    group.ForEach(g => g.Done.SetResult(g.Batch));
                }
                catch (Exception e)
                {
                    // A failed write fails the stream: this group and every batch after it.
                    lock (_gate)
                    {
                        _failed = e;
                        group.AddRange(_waiting);
                        _waiting.Clear();
                        _writing = false;
                    }
                    group.ForEach(g => g.Done.SetException(e));
                    return;
                }
            }
        }

        /// <summary>Points are closed only once the learner holds their labels: the labels are delivered first, then the changes written.</summary>
        private async Task WriteAsync(List<Followed> batches)
        {
            var labels = batches.SelectMany(b => b.Released).ToList();
            if (labels.Count > 0)
                await settings.Sink.DeliverAsync(labels).ConfigureAwait(false);
            // In pieces that cross nodes; the pieces are independent of each other, so they may be written at once.
            var changes = OpenPointChanges.Merge(batches.SelectMany(b => b.Changes));
            await Task.WhenAll(changes.SelectMany(c => UpdateDecisionPoints.InPieces(c.Partition, c.Opened, c.Purchased, c.Closed))
                .Select(AskAsync<DecisionPointsUpdated>)).ConfigureAwait(false);
        }

        /// <summary>Reading the index and applying the same changes again both give the same answer when asked again.</summary>
        private Task<T> AskAsync<T>(object message) => settings.Asks.AskAsync<T>(settings.PointIndex, message, metrics.RecordStageAskRetried);
    }
}
