using System.Collections.Immutable;
using Akka;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ProfilePipeline.Kafka;

/// <summary>One record to send. A null value is a tombstone.</summary>
public sealed record OutgoingRecord(string Topic, byte[]? Key, byte[]? Value, ImmutableArray<KafkaHeader> Headers);

/// <summary>Zero or more records to send for one stream element, and what to pass on once all are acknowledged.</summary>
public sealed record ProducerEnvelope<TPass>(ImmutableArray<OutgoingRecord> Records, TPass PassThrough);

/// <summary>A producer flow with bounded in-flight sends and delivery reports.</summary>
public static class KafkaProducer
{
    public static IProducer<byte[]?, byte[]?> Create(KafkaProducerSettings settings, Action<string>? log = null) =>
        new ProducerBuilder<byte[]?, byte[]?>(settings.Validate().ToClientConfig())
            .SetErrorHandler((_, error) => log?.Invoke($"kafka producer: {error.Reason} ({error.Code})"))
            .Build();

    /// <summary>
    /// Sends each envelope's records and emits its pass-through once every record has a delivery report, in
    /// input order. At most <see cref="KafkaProducerSettings.MaxInFlight"/> envelopes are outstanding; a failed
    /// delivery fails the stream (nothing after it is acknowledged, so it is redelivered after a restart).
    /// </summary>
    public static Flow<ProducerEnvelope<TPass>, TPass, NotUsed> Flow<TPass>(KafkaProducerSettings settings, IProducer<byte[]?, byte[]?> producer) =>
        Akka.Streams.Dsl.Flow.Create<ProducerEnvelope<TPass>>().SelectAsync(settings.MaxInFlight, async envelope =>
        {
            if (envelope.Records.IsEmpty)
                return envelope.PassThrough;
            await Task.WhenAll(envelope.Records.Select(r => producer.ProduceAsync(r.Topic, ToMessage(r)))).ConfigureAwait(false);
            return envelope.PassThrough;
        });

    private static Message<byte[]?, byte[]?> ToMessage(OutgoingRecord record)
    {
        var message = new Message<byte[]?, byte[]?> { Key = record.Key, Value = record.Value };
        if (!record.Headers.IsDefaultOrEmpty)
        {
            message.Headers = [];
            foreach (var header in record.Headers)
                message.Headers.Add(header.Key, header.Value);
        }
        return message;
    }
}
