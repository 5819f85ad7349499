namespace ProfilePipeline.Streams;

/// <summary>The partitions a stage has met in this run: the first record of each new one says where the run reads it from.</summary>
public sealed class PartitionsMet
{
    private readonly HashSet<string> _met = new(StringComparer.Ordinal);

    /// <summary>The partitions of the batch not met before, each with the offset of its first record in the batch; met from now on.</summary>
    public List<(string Partition, long Start)> TakeNew(IReadOnlyList<PipelineItem> batch)
    {
        var met = new List<(string Partition, long Start)>();
        foreach (var item in batch)
        {
            if (_met.Add(item.Input.SourceId))
                met.Add((item.Input.SourceId, item.Input.Offset));
        }
        return met;
    }

    /// <summary>The partition is no longer read here (given up in a rebalance): met anew if it comes back.</summary>
    public void Forget(string partition) => _met.Remove(partition);
}
