using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>
/// Behaviour events from a Kafka topic (canonical JSON values). A record's position is its topic-partition and
/// offset, unless it carries origin headers (<see cref="OriginHeaders"/>) written by `produce`: then it is the
/// position in the original file, so that loading the same file twice never counts an event twice. Its input is
/// always its topic-partition and offset.
/// </summary>
public static class KafkaRecordSource
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Source<PipelineItem, IKafkaControl> Create(KafkaConsumerSettings settings, int maxPayloadBytes, Action<string>? log = null)
    {
        var format = new JsonLinesFormat();
        return KafkaSource.CommittableSource(settings, log).Select(record => ToItem(record, format, maxPayloadBytes));
    }

    public static PipelineItem ToItem(KafkaRecord record, IRecordFormat format, int maxPayloadBytes)
    {
        var input = new SourcePosition(PartitionAssignments.InputName(record.Topic, record.Partition), record.Offset);
        var position = OriginHeaders.Read(record.Headers) ?? input;
        var item = new PipelineItem(position, Stopwatch.GetTimestamp()) { Input = input, KafkaOffset = record.Committable };
        RawBehavior raw;
        if (record.Value is null)
            raw = RawBehavior.Unreadable(position, "", "the record has no value");
        else if (record.Value.Length > maxPayloadBytes)
            // Not parsed at all: the clean stage refuses it as too large, with its beginning as the payload.
            raw = RawBehavior.Unreadable(position, Encoding.UTF8.GetString(record.Value, 0, Math.Min(record.Value.Length, maxPayloadBytes + 1)),
                $"value of {record.Value.Length} bytes");
        else
        {
            string text;
            try
            {
                text = StrictUtf8.GetString(record.Value);
            }
            catch (DecoderFallbackException)
            {
                return item with { Raw = RawBehavior.Unreadable(position, "base64:" + Convert.ToBase64String(record.Value), "the value is not valid UTF-8") };
            }
            raw = format.Read(position, text);
        }
        return item with { Raw = raw };
    }
}

/// <summary>Headers that carry a record's position in the file it was loaded from.</summary>
public static class OriginHeaders
{
    public const string Source = "pp-origin-source";
    public const string Offset = "pp-origin-offset";

    public static IEnumerable<KafkaHeader> For(SourcePosition position) =>
    [
        new(Source, Encoding.UTF8.GetBytes(position.SourceId)),
        new(Offset, Encoding.UTF8.GetBytes(position.Offset.ToString(CultureInfo.InvariantCulture))),
    ];

    public static SourcePosition? Read(IReadOnlyList<KafkaHeader> headers)
    {
        string? source = null;
        long? offset = null;
        foreach (var header in headers)
        {
            if (header.Key == Source)
                source = Encoding.UTF8.GetString(header.Value);
            else if (header.Key == Offset && long.TryParse(Encoding.UTF8.GetString(header.Value), NumberStyles.None, CultureInfo.InvariantCulture, out var o))
                offset = o;
        }
        return source is not null && offset is { } value ? new SourcePosition(source, value) : null;
    }
}
