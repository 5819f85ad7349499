namespace ProfilePipeline.Domain.Events;

/// <summary>
/// Where a record came from: a source (a file, a generator run, a Kafka topic-partition) and its offset there.
/// Offsets grow in source order, so "offset at or below the highest applied" means "already applied".
/// </summary>
public readonly record struct SourcePosition(string SourceId, long Offset)
{
    public override string ToString() => $"{SourceId}@{Offset}";
}
