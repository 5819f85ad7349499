using System.Collections.Immutable;

namespace ProfilePipeline.Kafka;

/// <summary>A consumed record and the offset to commit once it has been processed.</summary>
public sealed record KafkaRecord(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    byte[]? Value,
    ImmutableArray<KafkaHeader> Headers,
    DateTimeOffset Timestamp,
    CommittableOffset Committable);

public sealed record KafkaHeader(string Key, byte[] Value);

/// <summary>
/// A position to commit: the record's offset in its partition, and the assignment generation it was read in.
/// A commit of a generation that is no longer current (the partition was revoked since) is dropped, so a
/// partition's new owner is never overtaken by the old one's late acknowledgements.
/// </summary>
public readonly record struct CommittableOffset(string Topic, int Partition, long Offset, long Generation);
