using ProfilePipeline.Domain.Events;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>
/// The partitions a stage has met in this run: the first record of each new one says where the run reads it from. A
/// partition the input gave up in a rebalance (<paramref name="revocations"/>) is no longer met, and is met anew if it
/// comes back.
/// </summary>
public sealed class PartitionsMet(PartitionRevocations? revocations = null)
{
    private readonly PartitionMap<string> _met = new();
    private readonly PartitionRevocations.Reader? _revocations = revocations?.NewReader();

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

    /// <summary>The partitions given up since the last call; no longer met. The stage lets go of what it holds of them, for their new owner.</summary>
    public IReadOnlyList<string> TakeRevoked()
    {
        var revoked = _revocations?.TakeNew() ?? [];
        foreach (var partition in revoked)
            _met.Remove(partition);
        return revoked;
    }
}
