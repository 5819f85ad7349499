using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Streams.Tests;

/// <summary>
/// The label stage makes its state durable at checkpoints: batches pass on without waiting for a write, a checkpoint
/// waits for the write of everything followed before it (labels to the learner first, then the index), and a point
/// opened and labelled between two checkpoints never reaches the index.
/// </summary>
/// <remarks>
/// The index here is a stand-in actor that records what it is told and answers as the real one does: what the stage
/// writes, and when, is what these tests watch. The real index's persistence is tested in DecisionPointSpecs, and the
/// whole loop on real indexes and a real learner in the crash-resume and rebalance specs.
/// </remarks>
public sealed class LabelStageSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string Partition = "generator:test";
    private const long Minute = 60_000;
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DecisionPointSettings Points = DecisionPointSettings.Default with
    {
        Horizon = TimeSpan.FromMinutes(30),
        LabelLateness = TimeSpan.FromMinutes(5),
    };

    private readonly IMaterializer _materializer;
    private readonly RecordingIndex.Updates _updates = new();
    private readonly IActorRef _index;

    public LabelStageSpecs() : base("akka.loglevel = WARNING")
    {
        _materializer = Sys.Materializer();
        _index = Sys.ActorOf(Props.Create(() => new RecordingIndex(_updates)));
    }

    /// <summary>Record <paramref name="offset"/>: an applied event of <paramref name="user"/> at <paramref name="minute"/>, a decision point if asked.</summary>
    private static PipelineItem Record(long offset, string user, long minute, BehaviorType type = BehaviorType.View, bool point = false)
    {
        var id = $"e{offset}";
        var at = Start + minute * Minute;
        var e = new BehaviorEvent(id, user, type, at, "i1", "c1", null, null, 1, null, null, null, BehaviorEvent.NoAttributes,
            new SourcePosition(Partition, offset));
        return new PipelineItem(new SourcePosition(Partition, offset), 0)
        {
            Event = e,
            Outcome = EventOutcome.Applied,
            DecisionPoint = point ? new DecisionPoint(user, id, at, DecisionPointSettings.CartAdd, [1f, 2f]) : null,
        };
    }

    private readonly PipelineMetrics _metrics = new();

    private (Flow<IReadOnlyList<PipelineItem>, IReadOnlyList<PipelineItem>, Akka.NotUsed> Stage, CheckpointBarrier Checkpoints) Stage(ILabelSink sink,
        TimeSpan? writeAfter = null)
    {
        var checkpoints = new CheckpointBarrier();
        var settings = new LabelSettings(Points, 1_000, sink, _index) { WriteAfter = writeAfter ?? TimeSpan.FromMinutes(10) };
        return (LabelStage.Create(settings, _metrics, checkpoints), checkpoints);
    }

    /// <summary>Runs the stage on batches offered one by one; gives how many batches have come out so far.</summary>
    private (ISourceQueueWithComplete<IReadOnlyList<PipelineItem>> Queue, Func<int> Passed, Task Done) Following(
        Flow<IReadOnlyList<PipelineItem>, IReadOnlyList<PipelineItem>, Akka.NotUsed> stage)
    {
        var passed = 0;
        var (queue, done) = Source.Queue<IReadOnlyList<PipelineItem>>(4, OverflowStrategy.Backpressure).Via(stage)
            .ToMaterialized(Sink.ForEach<IReadOnlyList<PipelineItem>>(_ => Interlocked.Increment(ref passed)), Keep.Both).Run(_materializer);
        return (queue, () => Volatile.Read(ref passed), done);
    }

    [Fact]
    public async Task Batches_pass_without_waiting_for_a_write_and_a_checkpoint_waits_for_the_write_of_everything_followed_before_it()
    {
        var learner = new HeldLearner();
        var (stage, checkpoints) = Stage(learner);
        // ann's point is labelled (negative) by bob's event 40 minutes later, past horizon and lateness; cid's stays open.
        IReadOnlyList<PipelineItem>[] batches =
        [
            [Record(0, "ann", 0, BehaviorType.CartAdd, point: true)],
            [Record(1, "bob", 40), Record(2, "cid", 41, BehaviorType.CartAdd, point: true)],
        ];

        // The learner holds every delivery, yet every batch comes out.
        var passed = await Source.From(batches).Via(stage).RunWith(Sink.Seq<IReadOnlyList<PipelineItem>>(), _materializer).WaitAsync(Timeout);
        Assert.Equal(batches, passed);

        var checkpoint = checkpoints.BeforeCheckpointAsync();
        var delivered = await learner.Delivered.Task.WaitAsync(Timeout);
        Assert.Equal([("e0", false)], delivered.Select(l => (l.Point.EventId, l.Purchased)));
        await Task.Delay(200); // an absence (no checkpoint, no index write while the learner holds): nothing to await
        Assert.False(checkpoint.IsCompleted, "the checkpoint went ahead of the labels' delivery");
        Assert.Empty(_updates.All); // the index is written after the learner holds the labels

        learner.Release.SetResult();
        await checkpoint.WaitAsync(Timeout);
        // ann's point was opened and labelled between checkpoints: never in the index. cid's is opened, in one write.
        var update = Assert.Single(_updates.All);
        Assert.Equal(["e2"], update.Opened.Select(o => o.Point.EventId));
        Assert.Empty(update.Closed);

        Assert.Equal((2, 1, 1L, 1L), (_metrics.DecisionPoints, _metrics.LabelsReleased, _metrics.LabelWrites, _metrics.DecisionPointsIndexed));

        // A checkpoint with nothing followed since writes nothing.
        await checkpoints.BeforeCheckpointAsync().WaitAsync(Timeout);
        Assert.Single(_updates.All);
        Assert.Equal(1, _metrics.LabelWrites);
    }

    [Fact]
    public async Task A_point_written_open_at_a_checkpoint_is_closed_at_the_checkpoint_after_its_label()
    {
        var learner = new RecordingLearner();
        var (stage, checkpoints) = Stage(learner);
        var (queue, passed, done) = Following(stage);

        // ann's point, and her purchase 10 minutes later, within the horizon: open and marked at the first checkpoint.
        await queue.OfferAsync([Record(0, "ann", 0, BehaviorType.CartAdd, point: true), Record(1, "ann", 10, BehaviorType.Purchase)]);
        await AwaitConditionAsync(() => Task.FromResult(passed() == 1), Timeout);
        await checkpoints.BeforeCheckpointAsync().WaitAsync(Timeout);
        Assert.Empty(learner.Labels);
        var opened = Assert.Single(_updates.All);
        Assert.Equal([("e0", true)], opened.Opened.Select(o => (o.Point.EventId, o.Purchased)));

        // Labelled positive by the watermark (bob's event 40 minutes on): delivered, then closed, at the next checkpoint.
        await queue.OfferAsync([Record(2, "bob", 40)]);
        await AwaitConditionAsync(() => Task.FromResult(passed() == 2), Timeout);
        Assert.Empty(learner.Labels);
        await checkpoints.BeforeCheckpointAsync().WaitAsync(Timeout);
        Assert.Equal([("e0", true)], learner.Labels.Select(l => (l.Point.EventId, l.Purchased)));
        Assert.Equal(2, _updates.All.Count);
        Assert.Equal(["e0"], _updates.All[1].Closed.ToArray());
        Assert.Empty(_updates.All[1].Opened);

        queue.Complete();
        await done.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Without_a_checkpoint_what_was_followed_is_written_after_write_after()
    {
        var learner = new RecordingLearner();
        var (stage, _) = Stage(learner, writeAfter: TimeSpan.FromMilliseconds(200));
        await Source.Single<IReadOnlyList<PipelineItem>>([Record(0, "ann", 0, BehaviorType.CartAdd, point: true)]).Via(stage)
            .RunWith(Sink.Ignore<IReadOnlyList<PipelineItem>>(), _materializer).WaitAsync(Timeout);

        await AwaitConditionAsync(() => Task.FromResult(_updates.All.Count == 1), Timeout);
        Assert.Equal(["e0"], _updates.All[0].Opened.Select(o => o.Point.EventId));
    }

    [Fact]
    public async Task A_failed_delivery_fails_the_checkpoint_and_the_stream_and_nothing_is_written_to_the_index()
    {
        var learner = new FailingLearner();
        var (stage, checkpoints) = Stage(learner);
        var (queue, passed, done) = Following(stage);
        await queue.OfferAsync([Record(0, "ann", 0, BehaviorType.CartAdd, point: true), Record(1, "bob", 40)]);
        await AwaitConditionAsync(() => Task.FromResult(passed() == 1), Timeout);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => checkpoints.BeforeCheckpointAsync().WaitAsync(Timeout));
        Assert.Equal(FailingLearner.Reason, failed.Message);
        Assert.Empty(_updates.All);

        await queue.OfferAsync([Record(2, "bob", 41)]);
        var streamFailure = await Assert.ThrowsAnyAsync<Exception>(() => done.WaitAsync(Timeout));
        Assert.Contains(failed, Causes(streamFailure));
    }

    private static IEnumerable<Exception> Causes(Exception e) =>
        e is AggregateException all ? all.InnerExceptions.SelectMany(Causes) : e.InnerException is { } inner ? [e, .. Causes(inner)] : [e];

    /// <summary>Holds the first delivery until released.</summary>
    private sealed class HeldLearner : ILabelSink
    {
        public TaskCompletionSource<IReadOnlyList<LabeledExample>> Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task DeliverAsync(IReadOnlyList<LabeledExample> labels)
        {
            Delivered.TrySetResult(labels);
            return Release.Task;
        }
    }

    private sealed class RecordingLearner : ILabelSink
    {
        private readonly ConcurrentQueue<LabeledExample> _labels = new();
        public IReadOnlyList<LabeledExample> Labels => [.. _labels];

        public Task DeliverAsync(IReadOnlyList<LabeledExample> labels)
        {
            foreach (var label in labels)
                _labels.Enqueue(label);
            return Task.CompletedTask;
        }
    }

    private sealed class FailingLearner : ILabelSink
    {
        public const string Reason = "the learner is gone";

        public Task DeliverAsync(IReadOnlyList<LabeledExample> labels) => Task.FromException(new InvalidOperationException(Reason));
    }

    /// <summary>Stands in for a partition's index: records each update and answers as the real one (an empty index to read).</summary>
    private sealed class RecordingIndex : ReceiveActor
    {
        public sealed class Updates
        {
            private readonly ConcurrentQueue<UpdateDecisionPoints> _all = new();
            public IReadOnlyList<UpdateDecisionPoints> All => [.. _all];
            public void Add(UpdateDecisionPoints update) => _all.Enqueue(update);
        }

        public RecordingIndex(Updates updates)
        {
            Receive<GetDecisionPoints>(get => Sender.Tell(new PartitionDecisionPoints(get.Partition, [])));
            Receive<UpdateDecisionPoints>(update =>
            {
                updates.Add(update);
                Sender.Tell(new DecisionPointsUpdated(update.Partition, update.Opened, update.Purchased, update.Closed));
            });
        }
    }
}
