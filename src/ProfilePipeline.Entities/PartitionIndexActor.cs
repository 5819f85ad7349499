using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;

namespace ProfilePipeline.Entities;

/// <summary>
/// A durable index of one input partition (a Kafka topic partition, or a file or generator source) that the stream
/// stages keep what they need after a restart in, sharded by partition so that one writer holds it whichever node
/// consumes the partition. What every such index shares lives here:
/// <list type="bullet">
/// <item>a snapshot of the whole index every <c>snapshotEvery</c> entries, after which the entries and snapshots before it are deleted;</item>
/// <item>a purge: users removed for good, a marker that names nobody persisted, a snapshot taken and everything before
/// it deleted, so that their ids are nowhere in the store. An erased user (announced on the erasure topic) is purged.</item>
/// </list>
/// </summary>
public abstract class PartitionIndexActor : UntypedPersistentActor
{
    private readonly int _snapshotEvery;
    private readonly bool _followErasures;
    private int _entriesSinceSnapshot;

    protected PartitionIndexActor(string partition, int snapshotEvery, bool followErasures)
    {
        Partition = partition;
        _snapshotEvery = snapshotEvery;
        _followErasures = followErasures;
    }

    protected string Partition { get; }

    /// <summary>What the index holds, in words, for the log.</summary>
    protected abstract string Describes { get; }

    /// <summary>Handles a command of the index; false for one it does not know.</summary>
    protected abstract bool OnIndexCommand(object message);

    /// <summary>Removes the users' entries; gives how many were removed.</summary>
    protected abstract int Forget(IReadOnlyCollection<string> userIds);

    /// <summary>The journal entry of a purge of <paramref name="removed"/> entries: it must name no user.</summary>
    protected abstract object PurgeMarker(int removed);

    /// <summary>The whole index, as its snapshot.</summary>
    protected abstract object IndexSnapshot();

    protected override void PreStart()
    {
        base.PreStart();
        if (_followErasures)
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(ErasureRegistry.Topic, Self));
    }

    protected sealed override void OnCommand(object message)
    {
        if (OnIndexCommand(message))
            return;
        switch (message)
        {
            case UserErased erased:
                Purge([erased.UserId], always: true); // the id may be in entries since the last snapshot even when no longer held
                break;
            case SubscribeAck:
                break;
            case SaveSnapshotSuccess success:
                DeleteMessages(success.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failure:
                Context.GetLogger().Warning(failure.Cause, "Snapshot of the {0} of {1} failed; recovery reads more entries", Describes, Partition);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure or DeleteSnapshotsFailure:
                Context.GetLogger().Warning("Deleting old entries of the {0} of {1} failed: {2}", Describes, Partition, message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Removes the users; when any was held (or <paramref name="always"/>, with entries since the last snapshot that may
    /// name them), persists the marker, snapshots and so deletes every earlier entry.
    /// </summary>
    protected void Purge(IReadOnlyCollection<string> userIds, bool always)
    {
        var removed = Forget(userIds);
        if (removed == 0 && (!always || _entriesSinceSnapshot == 0))
            return;
        Persist(PurgeMarker(removed), _ =>
        {
            _entriesSinceSnapshot = 0;
            SaveSnapshot(IndexSnapshot());
        });
    }

    /// <summary>Counts one applied entry, live or in recovery, towards the next snapshot.</summary>
    protected void CountEntry() => _entriesSinceSnapshot++;

    protected void SnapshotWhenDue()
    {
        if (_entriesSinceSnapshot < _snapshotEvery)
            return;
        _entriesSinceSnapshot = 0;
        SaveSnapshot(IndexSnapshot());
    }
}
