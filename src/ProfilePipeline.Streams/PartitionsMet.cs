using ProfilePipeline.Domain.Events;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>
/// The partitions a stage has met in this run: the first record of each new one says where the run reads it from. A
/// partition the input gave up in a rebalance (<paramref name="assignments"/>) is no longer met, and is met anew if it
/// comes back.
/// </summary>
public sealed class PartitionsMet(PartitionAssignments? assignments = null)
{
    private readonly PartitionMap<string> _met = new();
    private readonly PartitionAssignments.Reader? _assignments = assignments?.NewReader();

    /// <summary>The partitions of the batch not met before, each with the offset of its first record in the batch; met from now on.</summary>
    public List<(string Partition, long Start)> TakeNew(IReadOnlyList<PipelineItem> batch)
    {
        var met = new List<(string Partition, long Start)>();
        foreach (var item in batch)
        {
            var partition = item.Input.SourceId;
            if (_met.Find(partition) is not null)
                continue;
            _met.Set(partition, partition);
            met.Add((partition, item.Input.Offset));
        }
        return met;
    }

    /// <summary>
    /// What the input's rebalances did to its partitions since the last call, in order; a partition given up is no longer
    /// met. The stage lets go of what it holds of a partition given up, for its new owner.
    /// </summary>
    public IReadOnlyList<PartitionChange> TakeChanges()
    {
        var changes = _assignments?.TakeNew() ?? [];
        foreach (var change in changes)
        {
            if (change.Kind == PartitionChangeKind.Revoked)
                _met.Remove(change.Partition);
        }
        return changes;
    }
}
