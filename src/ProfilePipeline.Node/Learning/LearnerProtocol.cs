using System.Collections.Immutable;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Node.Learning;

/// <summary>Labelled decision points from one node's label stage, for the learner; replied to with <see cref="LabelsAccepted"/>.</summary>
public sealed record LabelsResolved(ImmutableArray<LabeledExample> Labels);

/// <summary>The labels are in the learner's journal: <see cref="New"/> of the <see cref="Received"/> were not taken before.</summary>
public sealed record LabelsAccepted(int Received, int New);

/// <summary>Labels the learner took, as its journal keeps them (replayed onto its last snapshot after a restart).</summary>
public sealed record LabelsLearned(ImmutableArray<LearnedLabel> Labels);

/// <summary>
/// A label as the learner keeps it: what it learns from, and the fingerprint of the decision point's event id to take it
/// once. No user id and no event id: an erased user leaves nothing in the learner's journal or snapshot.
/// </summary>
public sealed record LearnedLabel(ulong Point, long At, string Kind, float[] Features, bool Purchased, long ResolvedAt)
{
    public static LearnedLabel Of(LabeledExample example) => new(Domain.Events.EventIds.Fingerprint(example.Point.EventId), example.Point.At,
        example.Point.Kind, example.Point.Features, example.Purchased, example.ResolvedAt);
}

/// <summary>
/// The learner singleton's snapshot: the registry (every promoted version, rejection and rollback), the learner's whole
/// state, and the fingerprints of the decision points it took most recently with their labels, oldest first.
/// </summary>
public sealed record LearnerSnapshot(
    ImmutableArray<ModelVersion> Promoted, ImmutableArray<ModelRejection> Rejected, ImmutableArray<ModelRollback> Rollbacks, ProfilePipeline.Learning.LearnerState Learner,
    ulong[] RecentPoints, bool[] RecentPurchased);

public sealed record GetLearnerStatus
{
    public static readonly GetLearnerStatus Instance = new();
}

/// <summary>The learner now: what serves, how it evaluates, how much it has seen.</summary>
public sealed record LearnerStatus(
    string Serving, ModelVersion? ServingVersion, MetricsSnapshot Metrics, long LabelsSeen, bool CandidateInShadow, int Promoted, int Rejected)
{
    /// <summary>
    /// Since the learner started: labels delivered again for a point it had taken with the other label (two nodes
    /// released the same point, one without seeing a purchase the other saw); the first label delivered is kept.
    /// </summary>
    public long ConflictingLabels { get; init; }
}

public sealed record GetModelHistory
{
    public static readonly GetModelHistory Instance = new();
}

/// <summary>The registry: every promoted version, every rejected candidate with its reason, every rollback.</summary>
public sealed record ModelHistory(ImmutableArray<ModelVersion> Promoted, ImmutableArray<ModelRejection> Rejected, ImmutableArray<ModelRollback> Rollbacks);

/// <summary>Serve an earlier promoted version again. Replied to with the persisted <see cref="ModelRollback"/>, or a failure.</summary>
public sealed record RollbackModel(int Number);

/// <summary>A rollback, as the registry stores it.</summary>
public sealed record ModelRollback(int To, string From, long LabelsSeen, DateTimeOffset At);

public sealed record GetServingModel
{
    public static readonly GetServingModel Instance = new();
}

/// <summary>The version that serves (null: the rules model); published to every node on promotion and rollback.</summary>
public sealed record ServingModel(ModelVersion? Version);
