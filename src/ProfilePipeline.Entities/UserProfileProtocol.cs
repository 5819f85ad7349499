using System.Collections.Immutable;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities;

/// <summary>Messages addressed to one user's profile entity.</summary>
public interface IWithUserId
{
    string UserId { get; }
}

/// <summary>Record a micro-batch of one user's events, in source order. Replied to with <see cref="BehaviorsAcknowledged"/>.</summary>
public sealed record RecordBehaviors(string UserId, ImmutableArray<BehaviorEvent> Events) : IWithUserId;

/// <summary>What became of each event of a <see cref="RecordBehaviors"/>, and the profile's features afterwards.</summary>
public sealed record BehaviorsAcknowledged(string UserId, ImmutableArray<EventOutcome> Outcomes, ProfileFeatures Features)
{
    /// <summary>The decision points among the applied events, with their features as of each (empty when learning is off).</summary>
    public ImmutableArray<DecisionPoint> DecisionPoints { get; init; } = [];
}

/// <summary>Ask for the current features without changing anything.</summary>
public sealed record GetProfile(string UserId) : IWithUserId;

/// <summary>The reply to <see cref="GetProfile"/>; <see cref="Features"/> is null for a user with no events.</summary>
public sealed record ProfileReply(string UserId, ProfileFeatures? Features);

/// <summary>A snapshot of <see cref="ProfileState"/> in its own binary layout (the entity decodes it with its settings).</summary>
public sealed record ProfileSnapshot(byte[] State)
{
    /// <summary>The user's <see cref="DecisionLedger"/> (empty in snapshots taken before decisions were kept).</summary>
    public byte[] Ledger { get; init; } = [];

    /// <summary>The user's <see cref="Domain.Learning.RecentDecisionPoints"/> (empty in snapshots taken before they were kept).</summary>
    public byte[] RecentPoints { get; init; } = [];
}

/// <summary>
/// Decide for the user, against the user's <see cref="DecisionLedger"/>: flag profile version <see cref="FlagVersion"/>
/// inactive (null: no flag; refused when the profile has moved on or the version was flagged already), and take the
/// first of <see cref="HoldingRules"/> (names, in the order tried) whose frequency cap has room at event time
/// <see cref="At"/>. <see cref="RideOffset"/> is the offset, in the user's input partition, of the record the decision
/// is published with, and <see cref="Basis"/> what an action would be decided on. What is decided is persisted before
/// the reply, <see cref="DecisionReply"/>; the same request again gets the same reply.
/// </summary>
public sealed record RecordDecision(string UserId, long? FlagVersion, ImmutableArray<string> HoldingRules, long At, long RideOffset, DecisionBasis Basis)
    : IWithUserId;

/// <param name="Flagged">The flag was new and is recorded.</param>
/// <param name="Rule">The rule whose action is recorded; null when none.</param>
/// <param name="Capped">Holding rules skipped because of their cap.</param>
public sealed record DecisionReply(string UserId, bool Flagged, string? Rule, int Capped)
{
    /// <summary>The flag was refused because that version was flagged already (by another timer).</summary>
    public bool AlreadyFlagged { get; init; }
}

/// <summary>Ask for the decisions published with a record at or after <see cref="FromRide"/>; replied to with <see cref="DecisionsSince"/>.</summary>
public sealed record GetDecisionsSince(string UserId, long FromRide) : IWithUserId;

/// <summary>The user's current profile, and the decisions published with a record at or after the one asked for.</summary>
/// <param name="Features">Null when the entity holds no profile (erased).</param>
/// <param name="FlaggedVersion">The profile version flagged then; null when the flag was published earlier (or never).</param>
/// <param name="FlagAt">The watermark at which that flag was decided.</param>
public sealed record DecisionsSince(string UserId, ProfileFeatures? Features, long? FlaggedVersion, long FlagAt, ImmutableArray<PastAction> Actions);

/// <summary>
/// Rebuild the profile from the journal: every event the user's journal holds is folded afresh with the entity's
/// current settings (windows, half-lives, tags), ignoring the snapshot, if any of them has an event time (epoch ms)
/// in [<see cref="FromEventTime"/>, <see cref="ToEventTime"/>]. Replied to with <see cref="ProfileRebuilt"/>.
/// </summary>
public sealed record RebuildProfile(string UserId, long FromEventTime, long ToEventTime) : IWithUserId;

/// <param name="InRange">False when no event of the user is in the range: nothing was rebuilt.</param>
/// <param name="Changed">True when the rebuilt profile differs from the one the entity held (its settings changed since).</param>
/// <param name="Events">The events folded (or found, when out of range).</param>
/// <param name="Features">The rebuilt profile's features; null when out of range.</param>
public sealed record ProfileRebuilt(string UserId, bool InRange, bool Changed, long Events, ProfileFeatures? Features);
