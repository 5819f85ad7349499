using System.Collections.Immutable;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Profile;

/// <summary>What the entity did with one event of a batch.</summary>
public enum EventOutcome : byte
{
    /// <summary>New: persisted and folded into the profile.</summary>
    Applied = 0,

    /// <summary>Its source offset was already applied: a redelivery after a restart. Changes nothing.</summary>
    Redelivered = 1,

    /// <summary>The same event id was recently applied from another offset. Changes nothing.</summary>
    Duplicate = 2,

    /// <summary>Older than the user's newest event time minus the allowed lateness: dead-lettered.</summary>
    Late = 3,

    /// <summary>
    /// The user's profile was erased, and this event happened at or before the erasure: a replay of old input.
    /// Refused without a trace: not persisted, not dead-lettered (a dead letter would keep the user's payload).
    /// </summary>
    Erased = 4,
}

/// <summary>
/// The journal entry of one batch: the events that were applied, and the highest offset per source the batch
/// covered (redeliveries, duplicates and late events included, so that they are recognised again after a restart).
/// </summary>
public sealed record BehaviorsRecorded(ImmutableArray<BehaviorEvent> Events, ImmutableArray<SourcePosition> SourceMarks)
{
    public bool Equals(BehaviorsRecorded? other) =>
        other is not null && Events.SequenceEqual(other.Events) && SourceMarks.SequenceEqual(other.SourceMarks);

    public override int GetHashCode() => HashCode.Combine(Events.Length, SourceMarks.Length);
}

/// <summary>The pure decision on a batch: one outcome per event and what to persist (null when nothing changes).</summary>
public sealed record ProfileDecision(ImmutableArray<EventOutcome> Outcomes, BehaviorsRecorded? ToPersist);
