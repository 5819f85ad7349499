using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <summary>
/// Loads records (a file in any import format, or the generator) into a Kafka topic as canonical JSON, keyed by
/// the raw user id so that each user's events stay in order in one partition, with origin headers so that
/// loading the same file twice is recognised downstream. A record that cannot be read is sent as it is and
/// dead-lettered by the pipeline.
/// </summary>
public static class KafkaFeeder
{
    /// <summary>
    /// Sends every record and waits for all delivery reports. <paramref name="pace"/>, if given, is awaited every
    /// 1,000 records with the number sent so far, so that a caller can hold the feed back.
    /// </summary>
    public static async Task<long> ProduceAsync(IEnumerable<RawBehavior> records, IProducer<byte[]?, byte[]?> producer, string topic,
        bool valuesAreCanonicalJson, CancellationToken cancellation, Func<long, CancellationToken, Task>? pace = null)
    {
        long sent = 0;
        var failures = 0L;
        string? firstFailure = null;
        foreach (var raw in records)
        {
            cancellation.ThrowIfCancellationRequested();
            var message = new Message<byte[]?, byte[]?>
            {
                Key = raw[CanonicalFields.UserId] is { } user ? Encoding.UTF8.GetBytes(user) : null,
                Value = valuesAreCanonicalJson || raw.ReadError is not null ? Encoding.UTF8.GetBytes(raw.Payload) : CanonicalJson(raw.Fields),
                Headers = [],
            };
            foreach (var header in OriginHeaders.For(raw.Position))
                message.Headers.Add(header.Key, header.Value);
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report =>
                    {
                        if (report.Error.IsError && Interlocked.Increment(ref failures) == 1)
                            firstFailure = report.Error.Reason;
                    });
                    break;
                }
                catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50)); // the local queue is full: let deliveries drain
                }
            }
            sent++;
            if (pace is not null && sent % 1_000 == 0)
                await pace(sent, cancellation).ConfigureAwait(false);
        }
        await Task.Run(() => producer.Flush(cancellation), cancellation).ConfigureAwait(false);
        if (Interlocked.Read(ref failures) > 0)
            throw new InvalidOperationException($"{failures} of {sent} records were not delivered to {topic}: {firstFailure}");
        return sent;
    }

    /// <summary>The canonical JSON object of an imported record's fields; attributes.* become the attributes object.</summary>
    public static byte[] CanonicalJson(ImmutableDictionary<string, string> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (name, value) in fields.Where(f => !f.Key.StartsWith(CanonicalFields.AttributePrefix, StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal))
                w.WriteString(name, value);
            var attributes = fields.Where(f => f.Key.StartsWith(CanonicalFields.AttributePrefix, StringComparison.Ordinal)).ToList();
            if (attributes.Count > 0)
            {
                w.WriteStartObject("attributes");
                foreach (var (name, value) in attributes.OrderBy(f => f.Key, StringComparer.Ordinal))
                    w.WriteString(name[CanonicalFields.AttributePrefix.Length..], value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
