namespace ProfilePipeline.Kafka;

/// <summary>The handle a Kafka source materializes into.</summary>
public interface IKafkaControl
{
    /// <summary>Stops emitting records and completes the stream; the consumer stays open for commits.</summary>
    void Stop();

    /// <summary>Closes the consumer (leaving the group). Commits still queued are made first.</summary>
    Task ShutdownAsync();

    /// <summary>Stops emitting, waits for <paramref name="streamCompletion"/> (every record processed and committed), then shuts down.</summary>
    Task DrainAndShutdownAsync(Task streamCompletion);

    /// <summary>Commits offsets (highest per partition); stale generations are dropped. Completes when the broker has answered.</summary>
    Task CommitAsync(IReadOnlyCollection<CommittableOffset> offsets);

    /// <summary>Lag per assigned partition (high watermark minus committed position), as last seen by the poll thread.</summary>
    IReadOnlyDictionary<string, long> Lag { get; }

    /// <summary>
    /// What this consumer's rebalances did to its partitions: assigned; found with nothing to read; given up, once every
    /// record of theirs handed on was processed (or they were lost).
    /// </summary>
    PartitionAssignments Assignments { get; }
}
