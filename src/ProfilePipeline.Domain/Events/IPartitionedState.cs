namespace ProfilePipeline.Domain.Events;

/// <summary>
/// State a stream stage keeps per input partition, with an event-time watermark over the partitions
/// (<see cref="PartitionWatermarks"/>): what the input's rebalances change in it.
/// </summary>
public interface IPartitionedState
{
    /// <summary>A partition assigned and not read yet holds the watermark where it is (<see cref="PartitionWatermarks.Expect"/>).</summary>
    void Expect(string partition, long now);

    /// <summary>An expected partition that had nothing to read holds the watermark no more (<see cref="PartitionWatermarks.NothingToRead"/>).</summary>
    void NothingToRead(string partition);

    /// <summary>Lets go of what is kept of a partition no longer read here, for its new owner; gives how many entries.</summary>
    int Forget(string partition);
}
