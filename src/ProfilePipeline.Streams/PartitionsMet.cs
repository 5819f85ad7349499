using ProfilePipeline.Domain.Events;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>
/// The partitions a stage has met in this run: the first record of each new one says where the run reads it from. A
/// partition the input found with nothing to read (<paramref name="assignments"/>: assigned at its end) is met too, read
/// from <see cref="AtItsEnd"/>, so that a stage loads what it keeps of the partition without waiting for a record of
/// it that may never come. A partition the input gave up in a rebalance is no longer met, and is met anew if it comes back.
/// </summary>
public sealed class PartitionsMet(PartitionAssignments? assignments = null)
{
    /// <summary>Where a partition found with nothing to read is read from: past every record of it, all of them checkpointed or committed.</summary>
    public const long AtItsEnd = long.MaxValue;

    private readonly PartitionMap<string> _met = new();
    private readonly PartitionAssignments.Reader? _assignments = assignments?.NewReader();
    private readonly List<string> _foundEmpty = [];

    /// <summary>
    /// The partitions not met before: those found with nothing to read since the last call (read from
    /// <see cref="AtItsEnd"/>), then those of the batch, each with the offset of its first record in the batch; met from now on.
    /// </summary>
    public List<(string Partition, long Start)> TakeNew(IReadOnlyList<PipelineItem> batch)
    {
        var met = new List<(string Partition, long Start)>();
        foreach (var partition in _foundEmpty)
        {
            if (_met.Find(partition) is not null)
                continue;
            _met.Set(partition, partition);
            met.Add((partition, AtItsEnd));
        }
        _foundEmpty.Clear();
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
    /// more (and is new at the next <see cref="TakeNew"/>), one given up is let go (for its new owner) and no longer met.
    /// Gives how many entries were let go.
    /// </summary>
    public int ApplyChanges(IPartitionedState state, long now)
    {
        var forgotten = 0;
        foreach (var (partition, kind) in _assignments?.TakeNew() ?? [])
        {
            if (kind == PartitionChangeKind.Assigned)
                state.Expect(partition, now);
            else if (kind == PartitionChangeKind.NothingToRead)
            {
                state.NothingToRead(partition);
                _foundEmpty.Add(partition);
            }
            else
            {
                forgotten += state.Forget(partition);
                _met.Remove(partition);
                _foundEmpty.Remove(partition);
            }
        }
        return forgotten;
    }
}
