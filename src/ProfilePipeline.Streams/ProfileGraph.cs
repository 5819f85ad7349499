using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Streams;

public sealed record ProfileGraphSettings(
    int CleanRecentIds,
    ProfileUpdateSettings Update,
    int ScoreBatch,
    int OutputBatch,
    TimeSpan OutputInterval);

/// <summary>The parts the graph joins; built once by the composition root.</summary>
public sealed record ProfileGraphParts(
    BehaviorCleaner Cleaner,
    SideData SideData,
    IActorRef ShardRegion,
    ProfileScorer Scorer,
    ModelHolder Models,
    OutputFiles Outputs,
    PipelineMetrics Metrics);

/// <summary>
/// source → clean → enrich → profile update (sharded entities) → score → outputs and checkpoint.
/// Backpressured end to end: every stage has a bounded buffer, and the source is pulled only as fast as
/// the entities persist and the outputs are written. The kill switch drains: the source stops and
/// everything already read runs to the end and is checkpointed.
/// </summary>
public static class ProfileGraph
{
    public static IRunnableGraph<(UniqueKillSwitch Drain, Task<Done> Completion)> Create(
        Source<PipelineItem, NotUsed> source, ProfileGraphParts parts, ProfileGraphSettings settings) =>
        source
            .ViaMaterialized(KillSwitches.Single<PipelineItem>(), Keep.Right)
            .Async()
            .Via(CleanStage.Create(parts.Cleaner, parts.Metrics, settings.CleanRecentIds))
            .Via(EnrichStage.Create(parts.SideData, parts.Metrics))
            .Async()
            .Via(ProfileUpdateStage.Create(parts.ShardRegion, settings.Update))
            .Via(ScoreStage.Create(parts.Scorer, parts.Models, settings.ScoreBatch))
            .Async()
            .GroupedWithin(settings.OutputBatch, settings.OutputInterval)
            .Select(batch => parts.Outputs.Write(batch as IReadOnlyList<PipelineItem> ?? batch.ToList()))
            .ToMaterialized(Sink.Ignore<int>(), Keep.Both);
}
