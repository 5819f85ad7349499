using System.Collections.Immutable;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>
/// One input record on its way through the graph. Every record stays in the stream to the end, in source
/// order, whatever becomes of it, so that the sink can checkpoint "everything up to this offset is done".
/// </summary>
public sealed record PipelineItem(SourcePosition Position, long EnteredAtTicks)
{
    /// <summary>
    /// Where this node read the record: its input partition (a Kafka topic-partition, a file, a generator) and the
    /// offset in it. Stages keep what they hold per partition by it (the durable indexes, the partitions met, the offsets
    /// decisions ride on), as a partition is what a node owns and what moves in a rebalance. It differs from
    /// <see cref="Position"/>, the event's identity for deduplication, only for a Kafka record that carries the position
    /// in the file it was loaded from (origin headers, written by `produce`).
    /// </summary>
    public SourcePosition Input { get; init; } = Position;

    public RawBehavior? Raw { get; init; }

    /// <summary>For a record consumed from Kafka: the offset to commit once its outputs are published.</summary>
    public CommittableOffset? KafkaOffset { get; init; }
    public BehaviorEvent? Event { get; init; }
    public UserAttributes? Attributes { get; init; }
    public bool ItemKnown { get; init; } = true;

    /// <summary>Set when the record is refused; it then goes to the dead letters and nowhere else.</summary>
    public DeadLetter? DeadLetter { get; init; }

    /// <summary>Set by the clean stage for an event id it saw moments ago; the entity dedups the rest.</summary>
    public bool DroppedAsDuplicate { get; init; }

    public EventOutcome? Outcome { get; init; }

    /// <summary>Set when the event was applied and is a decision point for the online learner (features as of it).</summary>
    public DecisionPoint? DecisionPoint { get; init; }

    /// <summary>The profile after the update this record completed (only on the last record of a user's batch).</summary>
    public ProfileFeatures? Features { get; init; }

    public ScoredProfile? Profile { get; init; }

    /// <summary>
    /// Profiles of other users found inactive when this record moved the watermark; published right after this record's
    /// outputs (they ride on it so that they are checkpointed or committed with it).
    /// </summary>
    public ImmutableArray<ScoredProfile> Inactive { get; init; } = [];

    /// <summary>Actions the decision rules produced on this record's update or on <see cref="Inactive"/>.</summary>
    public ImmutableArray<ProfileAction> Actions { get; init; } = [];
}
