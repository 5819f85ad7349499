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
    /// Applies what the input's rebalances did to its partitions since the last call, in order, to the stage's
    /// <paramref name="state"/>: a partition assigned is expected, one found with nothing to read holds the watermark no
    /// more, one given up is let go (for its new owner) and no longer met. Gives how many entries were let go.
    /// </summary>
    public int ApplyChanges(IPartitionedState state, long now)
    {
        var forgotten = 0;
        foreach (var (partition, kind) in _assignments?.TakeNew() ?? [])
        {
            if (kind == PartitionChangeKind.Assigned)
                state.Expect(partition, now);
            else if (kind == PartitionChangeKind.NothingToRead)
                state.NothingToRead(partition);
            else
            {
                forgotten += state.Forget(partition);
                _met.Remove(partition);
            }
        }
        return forgotten;
    }
}
