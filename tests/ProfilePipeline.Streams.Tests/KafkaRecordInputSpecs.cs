using System.Collections.Immutable;
using System.Text;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams.Tests;

/// <summary>
/// A Kafka record's input is its topic-partition and offset, what a node owns and what moves in a rebalance, even when
/// the record carries the position in the file it was loaded from (which the entities deduplicate by).
/// </summary>
public sealed class KafkaRecordInputSpecs
{
    private const string Line = """{"event_id":"e1","user_id":"u1","type":"view","timestamp":"2026-01-01T00:00:00Z","item_id":"i1"}""";

    private static KafkaRecord Record(int partition, long offset, params KafkaHeader[] headers) => new("events", partition, offset, null,
        Encoding.UTF8.GetBytes(Line), [.. headers], DateTimeOffset.UnixEpoch, new CommittableOffset("events", partition, offset + 1, 1));

    [Fact]
    public void A_record_without_origin_headers_is_identified_and_owned_by_its_partition_and_offset()
    {
        var item = KafkaRecordSource.ToItem(Record(3, 42), new JsonLinesFormat(), 65_536);
        Assert.Equal(new SourcePosition("kafka:events/3", 42), item.Position);
        Assert.Equal(item.Position, item.Input);
    }

    [Fact]
    public void A_record_loaded_from_a_file_keeps_its_file_position_and_is_owned_by_its_partition()
    {
        var item = KafkaRecordSource.ToItem(Record(3, 42, [.. OriginHeaders.For(new SourcePosition("file:events.jsonl", 7))]), new JsonLinesFormat(), 65_536);
        Assert.Equal(new SourcePosition("file:events.jsonl", 7), item.Position);
        Assert.Equal(new SourcePosition(PartitionAssignments.InputName("events", 3), 42), item.Input);
    }
}
