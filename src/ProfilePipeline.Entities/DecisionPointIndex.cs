using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Entities;

/// <summary>
/// One batch's changes to the partition's open decision points, replied to with <see cref="DecisionPointsUpdated"/>
/// once persisted: points <see cref="Opened"/>, earlier points marked <see cref="Purchased"/> (by event id), points
/// <see cref="Closed"/> (labelled and handed to the learner, or dropped).
/// </summary>
public sealed record UpdateDecisionPoints(string Partition, ImmutableArray<OpenDecisionPoint> Opened, ImmutableArray<string> Purchased,
    ImmutableArray<string> Closed) : IWithPartition
{
    /// <summary>
    /// The same changes in messages of at most <paramref name="maxBytes"/> of points and ids (as the binary layout UP2
    /// writes them), in order (opened, then marked, then closed); applied one after the other they change the index as
    /// this one does. A point is in at most one of the three, and a mark is of a point opened before.
    /// </summary>
    public IEnumerable<UpdateDecisionPoints> InPieces(int maxBytes = RemoteMessageLimits.MaxBytes) =>
        InPieces(Partition, Opened, Purchased, Closed, maxBytes);

    /// <summary>
    /// The partition's changes in messages as <see cref="InPieces(int)"/> cuts them, straight from the lists: an update
    /// that fits in one message by the cheap bounds (<see cref="DecisionPointCodec.BytesAtMost(OpenDecisionPoint)"/>),
    /// as a group commit's usually does, goes whole, without its points measured one by one.
    /// </summary>
    public static IEnumerable<UpdateDecisionPoints> InPieces(string partition, IReadOnlyList<OpenDecisionPoint> opened, IReadOnlyList<string> purchased,
        IReadOnlyList<string> closed, int maxBytes = RemoteMessageLimits.MaxBytes) =>
        RemoteMessageLimits.InPieces(opened, DecisionPointCodec.Bytes, purchased, closed,
            (o, p, c) => new UpdateDecisionPoints(partition, o, p, c), maxBytes, DecisionPointCodec.StringBytes,
            (DecisionPointCodec.BytesAtMost, DecisionPointCodec.StringBytesAtMost));
}

/// <summary>The persisted fact (and the reply) of <see cref="UpdateDecisionPoints"/>.</summary>
public sealed record DecisionPointsUpdated(string Partition, ImmutableArray<OpenDecisionPoint> Opened, ImmutableArray<string> Purchased,
    ImmutableArray<string> Closed);

/// <summary>
/// Ask for a page of the partition's open decision points, those after event id <see cref="After"/> (from the first
/// when null); replied to with <see cref="PartitionDecisionPoints"/>.
/// </summary>
public sealed record GetDecisionPoints(string Partition, string? After = null) : IWithPartition;

/// <summary>
/// Open decision points of a partition: a page of them as the reply to <see cref="GetDecisionPoints"/>, with the event
/// id to ask after for the next page (<see cref="Next"/>, null on the last); all of them as the index's snapshot.
/// </summary>
public sealed record PartitionDecisionPoints(string Partition, ImmutableArray<OpenDecisionPoint> Points)
{
    public string? Next { get; init; }
}

/// <summary>The persisted marker of a purge of decision points (users removed for good, by name nowhere).</summary>
public sealed record DecisionPointsPurged(string Partition, int Count);

/// <summary>
/// The durable index of the open decision points of one input partition: points whose label the watermark has not yet
/// released, with the features they were taken with and whether a purchase within their horizon has been seen. The
/// label stage persists the new points and purchase marks here before each checkpoint or offset commit that covers
/// their records (a point opened and closed between two is never written), and closes points once the learner holds
/// their labels. A node loads the
/// partition's points when the first record of the partition comes by (or the input finds it with nothing to read),
/// after a restart or a rebalance, and labels
/// them when the watermark passes their horizon, so no label is lost to a restart.
/// </summary>
/// <remarks>Snapshotted and purged as every <see cref="PartitionIndexActor"/>; an erased user's points are purged.</remarks>
public sealed class DecisionPointIndexActor : PartitionIndexActor
{
    private readonly Dictionary<string, OpenDecisionPoint> _points = new(StringComparer.Ordinal);
    private readonly IndexPages<OpenDecisionPoint> _pages = new(open => open.Point.EventId);

    public static Props Props(string partition, int snapshotEvery, bool followErasures) =>
        Akka.Actor.Props.Create(() => new DecisionPointIndexActor(partition, snapshotEvery, followErasures));

    public DecisionPointIndexActor(string partition, int snapshotEvery, bool followErasures) : base(partition, snapshotEvery, followErasures)
    {
    }

    public override string PersistenceId => "decision-points-" + Partition;

    protected override string Describes => "open decision points";

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: PartitionDecisionPoints snapshot }:
                _pages.Changed();
                _points.Clear();
                foreach (var open in snapshot.Points)
                    _points[open.Point.EventId] = open;
                break;
            case DecisionPointsUpdated updated:
                Apply(updated);
                break;
        }
    }

    protected override bool OnIndexCommand(object message)
    {
        switch (message)
        {
            case UpdateDecisionPoints update:
                var updatedBy = Sender;
                Persist(new DecisionPointsUpdated(Partition, update.Opened, update.Purchased, update.Closed), updated =>
                {
                    Apply(updated);
                    updatedBy.Tell(updated);
                    SnapshotWhenDue();
                });
                return true;
            case GetDecisionPoints get:
                var (page, next) = _pages.After(get.After, _points.Values);
                Sender.Tell(new PartitionDecisionPoints(Partition, page) { Next = next });
                return true;
            default:
                return false;
        }
    }

    protected override int Forget(IReadOnlyCollection<string> userIds)
    {
        var users = userIds.ToHashSet(StringComparer.Ordinal);
        var theirs = _points.Values.Where(p => users.Contains(p.Point.UserId)).Select(p => p.Point.EventId).ToList();
        theirs.ForEach(id => _points.Remove(id));
        _pages.Changed();
        return theirs.Count;
    }

    protected override object PurgeMarker(int removed) => new DecisionPointsPurged(Partition, removed);

    protected override object IndexSnapshot() => new PartitionDecisionPoints(Partition, [.. _points.Values]);

    private void Apply(DecisionPointsUpdated updated)
    {
        OpenPointChanges.Apply(_points, updated.Opened, updated.Purchased, updated.Closed);
        _pages.Changed();
        CountEntry();
    }
}
