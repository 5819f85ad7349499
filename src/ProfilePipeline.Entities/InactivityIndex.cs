using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;

namespace ProfilePipeline.Entities;

/// <summary>Messages addressed to a durable index of one input partition (<see cref="PartitionIndexActor"/>).</summary>
public interface IWithPartition
{
    string Partition { get; }
}

/// <summary>A user of the partition's index, and the newest event time of theirs their timer was armed with.</summary>
public sealed record ArmedTimer(string UserId, long LastActivity)
{
    /// <summary>The user was flagged inactive since that event: no timer is pending.</summary>
    public bool Flagged { get; init; }

    /// <summary>
    /// The offset of the newest record a decision of the user (a flag or an action) was published with, until the
    /// partition is read from after it; long.MaxValue when it was published with another partition's record.
    /// </summary>
    public long? PublishedWith { get; init; }
}

/// <summary>
/// One batch's changes to the partition's index, replied to with <see cref="TimersUpdated"/> once persisted: timers
/// <see cref="Armed"/> (a user's first, or again after a flag); users <see cref="Marked"/> because a decision of theirs
/// (a flag or an action) may be published with a record up to <see cref="RideOffset"/>; users <see cref="Flagged"/>
/// inactive. Marks stay until the partition is next read from after the offset (the outputs are then checkpointed or
/// committed); read from before it, the users are given back marked and their decisions are published again.
/// </summary>
public sealed record UpdateTimers(string Partition, ImmutableArray<ArmedTimer> Armed, ImmutableArray<string> Marked, ImmutableArray<string> Flagged,
    long RideOffset) : IWithPartition
{
    /// <summary>
    /// The same changes in messages of at most <paramref name="maxBytes"/> (estimated), in order (armed, then marked,
    /// then flagged); applied one after the other, in that order, they change the index as this one does.
    /// </summary>
    public IEnumerable<UpdateTimers> InPieces(int maxBytes = RemoteMessageLimits.MaxBytes) =>
        RemoteMessageLimits.InPieces(Armed, timer => 120 + RemoteMessageLimits.JsonBytes(timer.UserId), Marked, Flagged,
            (armed, marked, flagged) => new UpdateTimers(Partition, armed, marked, flagged, RideOffset), maxBytes);
}

/// <summary>The persisted fact (and the reply) of <see cref="UpdateTimers"/>.</summary>
public sealed record TimersUpdated(string Partition, ImmutableArray<ArmedTimer> Armed, ImmutableArray<string> Marked, ImmutableArray<string> Flagged,
    long RideOffset);

/// <summary>Remove users who need no timer (their entity holds no profile: erased); not replied to.</summary>
public sealed record DisarmTimers(string Partition, ImmutableArray<string> UserIds) : IWithPartition;

/// <summary>
/// Ask for the timers of the partition, which is read from <see cref="StartOffset"/> on (everything before it is
/// checkpointed or committed): marks before it are settled (a flagged user is dropped), and the rest is replied
/// with <see cref="PartitionTimers"/>, a page at a time: the first page (<see cref="After"/> null) settles, the next
/// ones are of the users after <see cref="After"/>.
/// </summary>
public sealed record GetPartitionTimers(string Partition, long StartOffset) : IWithPartition
{
    public string? After { get; init; }
}

/// <summary>The persisted fact that the partition was read from <see cref="StartOffset"/> on; it names no user.</summary>
public sealed record PublicationsSettled(string Partition, long StartOffset);

/// <summary>The persisted marker of a purge (users removed for good, by name nowhere); the snapshot after it holds the rest.</summary>
public sealed record TimersPurged(string Partition, int Count);

/// <summary>
/// Timers of a partition: a page of them as the reply to <see cref="GetPartitionTimers"/>, with the user to ask after
/// for the next page (<see cref="Next"/>, null on the last); all of them as the index's snapshot.
/// </summary>
public sealed record PartitionTimers(string Partition, ImmutableArray<ArmedTimer> Timers)
{
    public string? Next { get; init; }
}

/// <summary>
/// The durable index of inactivity timers of one input partition (a Kafka topic partition, or a file or generator
/// source), sharded by partition so that one writer holds it whichever node consumes the partition. The decision stage
/// persists each user it arms here before the record that armed the timer moves on (so before its offset is
/// committed), and when a node restarts, or takes over a partition, its stage loads the partition's timers. A stale
/// time is harmless: when a timer fires the user's entity is asked, and it knows the user's newest event and whether
/// that version was flagged already. Users with decisions that may ride on records not yet durable stay marked
/// (<see cref="UpdateTimers"/>), so that a restart publishes those decisions again.
/// </summary>
/// <remarks>
/// Journal entries are batches of arms and marks, snapshotted and purged as every <see cref="PartitionIndexActor"/>;
/// a disarmed user is purged like an erased one.
/// </remarks>
public sealed class InactivityIndexActor : PartitionIndexActor
{
    private readonly Dictionary<string, ArmedTimer> _timers = new(StringComparer.Ordinal);
    private readonly IndexPages<ArmedTimer> _pages = new(timer => timer.UserId);

    public static Props Props(string partition, int snapshotEvery, bool followErasures) =>
        Akka.Actor.Props.Create(() => new InactivityIndexActor(partition, snapshotEvery, followErasures));

    public InactivityIndexActor(string partition, int snapshotEvery, bool followErasures) : base(partition, snapshotEvery, followErasures)
    {
    }

    public override string PersistenceId => "inactivity-timers-" + Partition;

    protected override string Describes => "inactivity timers";

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: PartitionTimers snapshot }:
                _pages.Changed();
                _timers.Clear();
                foreach (var timer in snapshot.Timers)
                    _timers[timer.UserId] = timer;
                break;
            case TimersUpdated updated:
                Apply(updated);
                break;
            case PublicationsSettled settled:
                Apply(settled);
                break;
        }
    }

    protected override bool OnIndexCommand(object message)
    {
        switch (message)
        {
            case UpdateTimers update:
                var updatedBy = Sender;
                Persist(new TimersUpdated(Partition, update.Armed, update.Marked, update.Flagged, update.RideOffset), updated =>
                {
                    Apply(updated);
                    updatedBy.Tell(updated);
                    SnapshotWhenDue();
                });
                return true;
            case GetPartitionTimers { After: { } after }:
                Sender.Tell(Page(after));
                return true;
            case GetPartitionTimers get:
                var askedBy = Sender;
                Persist(new PublicationsSettled(Partition, get.StartOffset), settled =>
                {
                    Apply(settled);
                    askedBy.Tell(Page(null));
                    SnapshotWhenDue();
                });
                return true;
            case DisarmTimers disarm:
                Purge(disarm.UserIds, always: false);
                return true;
            default:
                return false;
        }
    }

    protected override int Forget(IReadOnlyCollection<string> userIds)
    {
        _pages.Changed();
        return userIds.Count(_timers.Remove);
    }

    private PartitionTimers Page(string? after)
    {
        var (page, next) = _pages.After(after, _timers.Values);
        return new PartitionTimers(Partition, page) { Next = next };
    }

    protected override object PurgeMarker(int removed) => new TimersPurged(Partition, removed);

    protected override object IndexSnapshot() => new PartitionTimers(Partition, [.. _timers.Values]);

    private void Apply(TimersUpdated updated)
    {
        foreach (var timer in updated.Armed)
        {
            // A new activity: pending again (a flag is over), at the newer of the two times; a mark stays until settled.
            var before = _timers.GetValueOrDefault(timer.UserId);
            _timers[timer.UserId] = new ArmedTimer(timer.UserId, Math.Max(timer.LastActivity, before?.LastActivity ?? long.MinValue))
            {
                PublishedWith = before?.PublishedWith,
            };
        }
        foreach (var user in updated.Marked)
            Mark(user, updated.RideOffset, flagged: false);
        foreach (var user in updated.Flagged)
            Mark(user, updated.RideOffset, flagged: true);
        _pages.Changed();
        CountEntry();
    }

    private void Mark(string user, long ride, bool flagged)
    {
        var timer = _timers.GetValueOrDefault(user) ?? new ArmedTimer(user, long.MinValue);
        _timers[user] = timer with { Flagged = timer.Flagged || flagged, PublishedWith = Math.Max(ride, timer.PublishedWith ?? long.MinValue) };
    }

    private void Apply(PublicationsSettled settled)
    {
        foreach (var timer in _timers.Values.Where(t => t.PublishedWith < settled.StartOffset).ToList())
        {
            if (timer.Flagged)
                _timers.Remove(timer.UserId);
            else
                _timers[timer.UserId] = timer with { PublishedWith = null };
        }
        _pages.Changed();
        CountEntry();
    }
}

/// <summary>Routes <see cref="IWithPartition"/> messages to the partition's index; a few shards, as there are few partitions.</summary>
public sealed class PartitionIndexMessageExtractor() : HashCodeMessageExtractor(16)
{
    /// <summary>The sharding type of the inactivity timers' indexes.</summary>
    public const string TimersTypeName = "inactivity-index";

    /// <summary>The sharding type of the open decision points' indexes.</summary>
    public const string DecisionPointsTypeName = "decision-point-index";

    public override string? EntityId(object message) => (message as IWithPartition)?.Partition;
}
