using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;

namespace ProfilePipeline.Entities;

/// <summary>Messages addressed to the durable inactivity timers of one input partition.</summary>
public interface IWithPartition
{
    string Partition { get; }
}

/// <summary>A user with a pending inactivity timer, and the newest event time of theirs the timer was armed with.</summary>
public sealed record ArmedTimer(string UserId, long LastActivity)
{
    /// <summary>
    /// Set once the user was flagged: the offset (in the partition) of the record the flag was published with;
    /// long.MaxValue when it was published with another partition's record. Null while the timer is pending.
    /// </summary>
    public long? FlaggedWith { get; init; }
}

/// <summary>Add timers to the partition's index; replied to with <see cref="TimersArmed"/> once they are persisted.</summary>
public sealed record ArmTimers(string Partition, ImmutableArray<ArmedTimer> Timers) : IWithPartition;

/// <summary>The persisted fact (and the reply) that timers were added.</summary>
public sealed record TimersArmed(string Partition, ImmutableArray<ArmedTimer> Timers);

/// <summary>Remove users who need no timer (erased); not replied to.</summary>
public sealed record DisarmTimers(string Partition, ImmutableArray<string> UserIds) : IWithPartition;

/// <summary>
/// Users flagged inactive, published with the record at <see cref="RideOffset"/> of the partition; replied to with
/// <see cref="TimersFlagged"/> once persisted.
/// They are kept until the partition is next loaded from after that offset (the flag's output is then checkpointed or
/// committed); loaded from before it, they come back flagged, so that a flag whose output a crash lost is published again.
/// </summary>
public sealed record MarkFlagged(string Partition, ImmutableArray<string> UserIds, long RideOffset) : IWithPartition;

/// <summary>The persisted fact of <see cref="MarkFlagged"/>.</summary>
public sealed record TimersFlagged(string Partition, ImmutableArray<string> UserIds, long RideOffset);

/// <summary>The persisted fact that timers were removed.</summary>
public sealed record TimersDisarmed(string Partition, ImmutableArray<string> UserIds);

/// <summary>
/// Ask for the timers of the partition, which is consumed from <see cref="StartOffset"/> on: the flagged users
/// published before it are dropped (their flags are checkpointed), the rest replied with <see cref="PartitionTimers"/>.
/// </summary>
public sealed record GetPartitionTimers(string Partition, long StartOffset) : IWithPartition;

/// <summary>The timers of a partition, as the reply to <see cref="GetPartitionTimers"/> and as the index's snapshot.</summary>
public sealed record PartitionTimers(string Partition, ImmutableArray<ArmedTimer> Timers);

/// <summary>
/// The durable index of inactivity timers of one input partition (a Kafka topic partition, or a file or generator
/// source), sharded by partition so that one writer holds it whichever node consumes the partition. It only needs to
/// know who may have a pending timer: the decision stage persists each user it arms here before the record that armed
/// the timer moves on (so before its offset is committed), and when a node restarts, or takes over a partition, its
/// stage loads the partition's timers. A stale time is harmless: when a timer fires the user's entity is asked, and it
/// knows the user's newest event and whether that version was flagged already. A flagged user stays, marked with the
/// offset of the record the flag was published with, until the partition is loaded from after it (see <see cref="MarkFlagged"/>).
/// </summary>
/// <remarks>
/// Journal entries are batches of arms and disarms; a snapshot of the whole index is taken every
/// <c>snapshotEvery</c> entries and the entries before it are deleted, so recovery reads one snapshot and a few entries.
/// </remarks>
public sealed class InactivityIndexActor : UntypedPersistentActor
{
    private readonly string _partition;
    private readonly int _snapshotEvery;
    private readonly Dictionary<string, ArmedTimer> _timers = new(StringComparer.Ordinal);
    private int _entriesSinceSnapshot;

    public static Props Props(string partition, int snapshotEvery) =>
        Akka.Actor.Props.Create(() => new InactivityIndexActor(partition, snapshotEvery));

    public InactivityIndexActor(string partition, int snapshotEvery)
    {
        _partition = partition;
        _snapshotEvery = snapshotEvery;
    }

    public override string PersistenceId => "inactivity-timers-" + _partition;

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: PartitionTimers snapshot }:
                _timers.Clear();
                foreach (var timer in snapshot.Timers)
                    _timers[timer.UserId] = timer;
                break;
            case TimersArmed armed:
                Apply(armed);
                break;
            case TimersDisarmed disarmed:
                Apply(disarmed);
                break;
            case TimersFlagged flagged:
                Apply(flagged);
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case ArmTimers arm:
                var replyTo = Sender;
                Persist(new TimersArmed(_partition, arm.Timers), armed =>
                {
                    Apply(armed);
                    replyTo.Tell(armed);
                    SnapshotWhenDue();
                });
                break;
            case DisarmTimers disarm:
                Persist(new TimersDisarmed(_partition, disarm.UserIds), disarmed =>
                {
                    Apply(disarmed);
                    SnapshotWhenDue();
                });
                break;
            case MarkFlagged mark:
                var flaggedBy = Sender;
                Persist(new TimersFlagged(_partition, mark.UserIds, mark.RideOffset), flagged =>
                {
                    Apply(flagged);
                    flaggedBy.Tell(flagged);
                    SnapshotWhenDue();
                });
                break;
            case GetPartitionTimers get:
                var published = _timers.Values.Where(t => t.FlaggedWith < get.StartOffset).Select(t => t.UserId).ToImmutableArray();
                if (published.IsEmpty)
                {
                    Sender.Tell(Snapshot());
                    break;
                }
                var askedBy = Sender;
                Persist(new TimersDisarmed(_partition, published), disarmed =>
                {
                    Apply(disarmed);
                    askedBy.Tell(Snapshot());
                    SnapshotWhenDue();
                });
                break;
            case SaveSnapshotSuccess success:
                DeleteMessages(success.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failure:
                Context.GetLogger().Warning(failure.Cause, "Snapshot of the inactivity timers of {0} failed; recovery reads more entries", _partition);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure or DeleteSnapshotsFailure:
                Context.GetLogger().Warning("Deleting old inactivity-timer entries of {0} failed: {1}", _partition, message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private PartitionTimers Snapshot() =>
        new(_partition, [.. _timers.Values]);

    private void Apply(TimersArmed armed)
    {
        foreach (var timer in armed.Timers)
        {
            // A new activity: pending again (a flag is over), at the newer of the two times.
            var before = _timers.GetValueOrDefault(timer.UserId);
            _timers[timer.UserId] = new ArmedTimer(timer.UserId, Math.Max(timer.LastActivity, before?.LastActivity ?? long.MinValue));
        }
        _entriesSinceSnapshot++;
    }

    private void Apply(TimersFlagged flagged)
    {
        foreach (var user in flagged.UserIds)
        {
            if (_timers.TryGetValue(user, out var timer))
                _timers[user] = timer with { FlaggedWith = flagged.RideOffset };
        }
        _entriesSinceSnapshot++;
    }

    private void Apply(TimersDisarmed disarmed)
    {
        foreach (var user in disarmed.UserIds)
            _timers.Remove(user);
        _entriesSinceSnapshot++;
    }

    private void SnapshotWhenDue()
    {
        if (_entriesSinceSnapshot < _snapshotEvery)
            return;
        _entriesSinceSnapshot = 0;
        SaveSnapshot(Snapshot());
    }
}

/// <summary>Routes <see cref="IWithPartition"/> messages to the partition's index; a few shards, as there are few partitions.</summary>
public sealed class InactivityIndexMessageExtractor() : HashCodeMessageExtractor(16)
{
    public const string TypeName = "inactivity-index";

    public override string? EntityId(object message) => (message as IWithPartition)?.Partition;
}
