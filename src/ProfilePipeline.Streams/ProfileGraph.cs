using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

public sealed record ProfileGraphSettings(
    int CleanRecentIds,
    ProfileUpdateSettings Update,
    int ScoreBatch,
    int OutputBatch,
    TimeSpan OutputInterval)
{
    /// <summary>
    /// How often the output files are checkpointed (their lengths and the offset read up to), each checkpoint once the
    /// stages that write at checkpoints have made their state durable; a restart reads on from the last one.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>The parts the graph joins; built once by the composition root.</summary>
public sealed record ProfileGraphParts(
    BehaviorCleaner Cleaner,
    SideData SideData,
    IActorRef ShardRegion,
    ProfileScorer Scorer,
    ModelHolder Models,
    PipelineMetrics Metrics)
{
    /// <summary>Operators pause and resume the source here (the admin endpoint's /pipeline/pause and /pipeline/resume).</summary>
    public PipelineGate Gate { get; init; } = new();

    /// <summary>Labelling of decision points for the online learner (null: learning is off).</summary>
    public LabelSettings? Labels { get; init; }

    /// <summary>
    /// What the outputs await before each checkpoint or offset commit: the writes of the stages that make their state
    /// durable at checkpoints (the label stage). Give it to the outputs the graph runs with.
    /// </summary>
    public CheckpointBarrier Checkpoints { get; init; } = new();

    /// <summary>Segment assignment and sampling (null: segments off).</summary>
    public SegmentScoring? Segments { get; init; }

    /// <summary>Inactivity timers, churn risk and decision rules (null: off).</summary>
    public DecisionSettings? Decisions { get; init; }

    /// <summary>The partitions' durable inactivity-timer indexes (the sharding region); needed when <see cref="Decisions"/> is on.</summary>
    public IActorRef? TimerIndex { get; init; }

    /// <summary>
    /// What a Kafka consumer's rebalances do to the input's partitions: the stages that hold state per partition let go
    /// of it for a partition given up, for its new owner, and let a partition assigned hold the event-time watermark until
    /// its records come. Null for an input that is not assigned partitions (files, generator).
    /// </summary>
    public PartitionAssignments? Assignments { get; init; }

    /// <summary>A profile scored as the scoring stage would now: the serving model, the user's attributes, the serving segments.</summary>
    public ScoredProfile ScoreNow(Domain.Profile.ProfileFeatures features) =>
        ScoreStage.Score(Scorer, features, SideData.Users.Find(features.UserId), Models.Current, Segments?.Segments.Current);
}

/// <summary>
/// source → clean → enrich → profile update (sharded entities, in micro-batches) → labels (for the learner, the same
/// batches) → score (and segment) → decide (inactivity, actions) → outputs (files and checkpoint, or Kafka topics and
/// offset commits).
/// Backpressured end to end: every stage has a bounded buffer, and the source is pulled only as fast as
/// the entities persist and the outputs are written. The kill switch drains: the source stops and
/// everything already read runs to the end and is checkpointed.
/// </summary>
public static class ProfileGraph
{
    /// <summary>Counts the records leaving stage <paramref name="stage"/> of <see cref="PipelineMetrics.Stages"/>.</summary>
    private static Flow<PipelineItem, PipelineItem, NotUsed> Passed(PipelineMetrics metrics, int stage) =>
        Flow.Create<PipelineItem>().Select(item =>
        {
            metrics.RecordStagePassed(stage);
            return item;
        });

    public static IRunnableGraph<(TSource Source, UniqueKillSwitch Drain, Task<Done> Completion)> Create<TSource>(
        Source<PipelineItem, TSource> source, ProfileGraphParts parts, Flow<PipelineItem, int, NotUsed> outputs, ProfileGraphSettings settings) =>
        source
            .ViaMaterialized(KillSwitches.Single<PipelineItem>(), Keep.Both)
            .SelectAsync(1, item => parts.Gate.WhenOpen() is var open && open.IsCompleted ? Task.FromResult(item) : open.ContinueWith(_ => item, TaskScheduler.Default))
            .Async()
            .Via(CleanStage.Create(parts.Cleaner, parts.Metrics, settings.CleanRecentIds))
            .Via(EnrichStage.Create(parts.SideData, parts.Metrics))
            .Via(Passed(parts.Metrics, 0))
            .Async()
            .Via(ProfileUpdateStage.Create(parts.ShardRegion, settings.Update, parts.Metrics))
            .Select(batch =>
            {
                parts.Metrics.RecordStagePassed(1, batch.Count);
                return batch;
            })
            .Via(parts.Labels is { } labels ? LabelStage.Create(labels, parts.Metrics, parts.Checkpoints, parts.Assignments) : Flow.Create<IReadOnlyList<PipelineItem>>())
            .SelectMany(batch => batch)
            .Via(Passed(parts.Metrics, 2))
            .Via(ScoreStage.Create(parts.Scorer, parts.Models, settings.ScoreBatch, parts.Segments))
            .Via(Passed(parts.Metrics, 3))
            .Via(parts.Decisions is { } decisions
                ? DecisionStage.Create(decisions, new DecisionActors(parts.ShardRegion, parts.TimerIndex
                    ?? throw new InvalidOperationException("the decision stage needs the inactivity-timer index")), parts.ScoreNow, parts.Metrics,
                    parts.Assignments, settings.ScoreBatch)
                : Flow.Create<PipelineItem>())
            .Via(Passed(parts.Metrics, 4))
            .Async()
            .Via(outputs)
            .ToMaterialized(Sink.Ignore<int>(), (left, completion) => (left.Item1, left.Item2, completion));
}
