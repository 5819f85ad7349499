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

    /// <summary>
    /// The longest what the stage followed waits for a write when no checkpoint or commit asks for one (a quiet stream,
    /// or outputs that never checkpoint): the learner gets its labels at the latest this long after their release.
    /// </summary>
    public TimeSpan WriteAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Records followed since the last write that start one without waiting for a checkpoint; at twice as many the
    /// stage waits for the write under way, so what waits unwritten stays bounded when the outputs checkpoint rarely.
    /// </summary>
    public int WriteAtRecords { get; init; } = 50_000;
}

/// <summary>
/// Follows the stream in source order, in batches, with a <see cref="LabelTracker"/>: records each decision point the
/// entities took, sees every purchase, and releases labels as the event-time watermark passes their horizon. Passes
/// every record on unchanged, without waiting for a write. Each node labels the decision points of the users whose
/// events it reads.
/// </summary>
/// <remarks>
/// Durable at checkpoints, as Flink snapshots an operator's state: a checkpoint of the output files or a commit of
/// Kafka offsets first awaits <see cref="CheckpointBarrier.BeforeCheckpointAsync"/>, for which the stage writes what it
/// followed up to then. The released labels are delivered to the learner (which persists them) first; then the
/// partitions' durable indexes are told which points opened, which were marked purchased and which closed. So no
/// checkpoint or commit covers a record whose labels and open points are not durable, and a point opened and labelled
/// between two checkpoints is never written to the index at all (when the stream is read at full speed, the horizon
/// passes in moments of processing time). One write is under way at a time; a checkpoint asked for meanwhile is served by the next,
/// which takes everything followed until it starts. Without a checkpoint a write starts <see cref="LabelSettings.WriteAfter"/>
/// after the first record not yet written, or once <see cref="LabelSettings.WriteAtRecords"/> records wait. A failed
/// write fails the stream, through the next batch and the next checkpoint.
/// <para>
/// A node loads a partition's open points when the first record of the partition comes by, or when the input finds it
/// with nothing to read (taken over at its end: no record of it may come for long, and its points are labelled as the
/// other partitions' records move the watermark), after writing what it followed, and lets them go when the input
/// gives the partition up (a Kafka consumer gives one up once its records are committed, so once their writes are done). A
/// crash between the two steps of a write releases some labels again after the restart, which the learner recognises. A
/// purchase replayed after a restart (already applied, so redelivered) marks its points again, in case its mark was not
/// yet durable.
/// </para>
/// </remarks>
public static class LabelStage
{
    /// <summary>
    /// Follows the profile update stage's micro-batches as they come, and registers with <paramref name="checkpoints"/>
    /// the write every checkpoint or commit of the graph's outputs awaits.
    /// </summary>
    /// <param name="assignments">What the input's rebalances do to its partitions: a partition given up has its open points let go, for
    /// its new owner; one assigned holds the watermark until its records come.</param>
    public static Flow<IReadOnlyList<PipelineItem>, IReadOnlyList<PipelineItem>, NotUsed> Create(LabelSettings settings, PipelineMetrics metrics,
        CheckpointBarrier checkpoints, PartitionAssignments? assignments = null)
    {
        var labeller = new Labeller(settings, metrics, assignments);
        checkpoints.Register(labeller.WriteFollowedAsync);
        return Flow.Create<IReadOnlyList<PipelineItem>>().SelectAsync(1, labeller.FollowAsync);
    }

    /// <summary>What a write takes: the labels released and the partitions' changes since the last write.</summary>
    private sealed record Taken(List<LabeledExample> Labels, IReadOnlyList<OpenPointChanges> Changes);

    /// <summary>
    /// The stage's state for one graph run: the open points in memory, the partitions loaded from their index, what was
    /// followed and not yet written. The tracker and what waits are guarded by one lock: the stream follows batches on
    /// one side, checkpoints and the timer take what waits on the other.
    /// </summary>
    private sealed class Labeller(LabelSettings settings, PipelineMetrics metrics, PartitionAssignments? assignments)
    {
        private readonly LabelTracker _tracker = new(settings.DecisionPoints.Horizon, settings.DecisionPoints.LabelLateness, settings.MaxOpen, keepChanges: true,
            settings.IdlePartitionAfter);
        private readonly PartitionsMet _loaded = new(assignments);
        private readonly Lock _gate = new();
        private List<LabeledExample> _released = [];
        private int _recordsWaiting;
        private bool _writing;
        private bool _writeAgain;
        private bool _timerArmed;
        private TaskCompletionSource _current = NewWrite();
        private TaskCompletionSource _next = NewWrite();
        private Exception? _failed;

        /// <summary>In stream order, one batch at a time: loads the partitions new to this run, then follows the batch in memory.</summary>
        public async Task<IReadOnlyList<PipelineItem>> FollowAsync(IReadOnlyList<PipelineItem> batch)
        {
            var now = Environment.TickCount64;
            lock (_gate)
            {
                ThrowIfFailed();
                metrics.RecordDecisionPointsHandedOver(_loaded.ApplyChanges(_tracker, now)); // a partition's new owner restores and labels them
            }
            if (_loaded.TakeNew(batch) is { Count: > 0 } met)
            {
                // The index is read once what was followed is in it (a partition given up and assigned back may have changes waiting).
                await WriteFollowedAsync().ConfigureAwait(false);
                foreach (var (partition, _) in met)
                {
                    var stored = await settings.Asks.AskPagesAsync<PartitionDecisionPoints, OpenDecisionPoint>(settings.PointIndex,
                        after => new GetDecisionPoints(partition, after), page => (page.Points, page.Next), metrics.RecordStageAskRetried).ConfigureAwait(false);
                    lock (_gate)
                        metrics.RecordDecisionPointsRestored(stored.Count(open => _tracker.Restore(open, partition)));
                }
            }
            Task? full = null;
            lock (_gate)
            {
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
                _released.AddRange(released);
                _recordsWaiting += batch.Count;
                if (_recordsWaiting >= settings.WriteAtRecords)
                {
                    var write = StartWrite();
                    if (_recordsWaiting >= 2 * settings.WriteAtRecords)
                        full = write; // the write under way took less than what waits now; the next takes it
                }
                else if (!_timerArmed)
                {
                    _timerArmed = true;
                    _ = WriteLaterAsync();
                }
            }
            if (full is not null)
                await full.ConfigureAwait(false);
            return batch;
        }

        /// <summary>Completes once everything followed so far is written: what a checkpoint or commit awaits.</summary>
        public Task WriteFollowedAsync()
        {
            lock (_gate)
                return StartWrite();
        }

        private async Task WriteLaterAsync()
        {
            await Task.Delay(settings.WriteAfter).ConfigureAwait(false);
            lock (_gate)
            {
                _timerArmed = false;
                if (_recordsWaiting > 0 || _released.Count > 0)
                    StartWrite();
            }
        }

        /// <summary>
        /// Under the lock: the task of the write that takes everything followed so far. It starts now if none is under
        /// way; otherwise it is the next, which starts when the one under way ends (with what waits then).
        /// </summary>
        private Task StartWrite()
        {
            if (_failed is { } failure)
                return Task.FromException(failure);
            if (_writing)
            {
                if (_recordsWaiting == 0 && _released.Count == 0)
                    return _current.Task; // nothing followed since the write under way took it
                _writeAgain = true;
                return _next.Task;
            }
            if (_recordsWaiting == 0 && _released.Count == 0)
                return Task.CompletedTask;
            _writing = true;
            (_current, _next) = (_next, NewWrite());
            _ = WriteAsync(TakeWaiting(), _current);
            return _current.Task;
        }

        private Taken TakeWaiting()
        {
            var taken = new Taken(_released, _tracker.TakeChanges());
            _released = [];
            _recordsWaiting = 0;
            return taken;
        }

        /// <summary>Writes, then the next write if one was asked for meanwhile, until none is.</summary>
        private async Task WriteAsync(Taken taken, TaskCompletionSource done)
        {
            while (true)
            {
                try
                {
                    await WriteAsync(taken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        _failed = e;
                        _writing = false;
                    }
                    done.TrySetException(e);
                    _next.TrySetException(e);
                    return;
                }
                done.SetResult();
                lock (_gate)
                {
                    if (!_writeAgain)
                    {
                        _writing = false;
                        return;
                    }
                    _writeAgain = false;
                    (_current, _next) = (_next, NewWrite());
                    done = _current;
                    taken = TakeWaiting();
                }
            }
        }

        /// <summary>Points are closed only once the learner holds their labels: the labels are delivered first, then the changes written.</summary>
        private async Task WriteAsync(Taken taken)
        {
            if (taken.Labels.Count > 0)
                await settings.Sink.DeliverAsync(taken.Labels).ConfigureAwait(false);
            // In pieces that cross nodes; the pieces are independent of each other, so they may be written at once.
            await Task.WhenAll(taken.Changes.SelectMany(c => UpdateDecisionPoints.InPieces(c.Partition, c.Opened, c.Purchased, c.Closed))
                .Select(update => settings.Asks.AskAsync<DecisionPointsUpdated>(settings.PointIndex, update, metrics.RecordStageAskRetried))).ConfigureAwait(false);
            metrics.RecordLabelWrite(taken.Changes.Sum(c => c.Opened.Count));
        }

        private void ThrowIfFailed()
        {
            if (_failed is { } failure)
                throw new InvalidOperationException("writing the labels and open decision points failed", failure);
        }

        private static TaskCompletionSource NewWrite() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
