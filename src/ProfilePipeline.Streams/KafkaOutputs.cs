using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Akka;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

public sealed record KafkaTopics(string Events, string Profiles, string DeadLetters);

/// <summary>
/// Publishes profile updates (keyed by user id) and dead letters (with reason and coordinates in headers), then
/// commits each record's offset once everything it produced is acknowledged by the broker.
/// </summary>
public static class KafkaOutputs
{
    public static Flow<PipelineItem, int, NotUsed> Create(
        KafkaProducerSettings settings, IProducer<byte[]?, byte[]?> producer, KafkaTopics topics, IKafkaControl? consumer,
        PipelineMetrics metrics, int commitBatch, TimeSpan commitInterval, Action<string>? log = null)
    {
        var published = Flow.Create<PipelineItem>()
            .Select(item => new ProducerEnvelope<PipelineItem>(Records(item, topics), item))
            .Via(KafkaProducer.Flow<PipelineItem>(settings, producer))
            .Select(item =>
            {
                metrics.RecordCompleted(item);
                return item;
            });
        if (consumer is null)
            return published.Select(_ => 1);
        return published
            .Where(item => item.KafkaOffset is not null)
            .Select(item => item.KafkaOffset!.Value)
            .Via(KafkaCommitter.Batched(consumer, commitBatch, commitInterval, log));
    }

    public static ImmutableArray<OutgoingRecord> Records(PipelineItem item, KafkaTopics topics)
    {
        var records = ImmutableArray.CreateBuilder<OutgoingRecord>(2);
        if (item.Profile is { } profile)
        {
            var buffer = new ArrayBufferWriter<byte>(2048);
            ProfileJson.WriteProfile(buffer, profile);
            records.Add(new OutgoingRecord(topics.Profiles, Encoding.UTF8.GetBytes(profile.Features.UserId), buffer.WrittenSpan.ToArray(), []));
        }
        if (item.DeadLetter is { } dead)
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            ProfileJson.WriteDeadLetter(buffer, dead);
            var headers = ImmutableArray.CreateBuilder<KafkaHeader>();
            headers.Add(new KafkaHeader("reason", Encoding.UTF8.GetBytes(dead.Reason)));
            headers.Add(new KafkaHeader("source", Encoding.UTF8.GetBytes(dead.Position.SourceId)));
            headers.Add(new KafkaHeader("source-offset", Encoding.UTF8.GetBytes(dead.Position.Offset.ToString(CultureInfo.InvariantCulture))));
            if (item.KafkaOffset is { } origin)
            {
                headers.Add(new KafkaHeader("source-topic", Encoding.UTF8.GetBytes(origin.Topic)));
                headers.Add(new KafkaHeader("source-partition", Encoding.UTF8.GetBytes(origin.Partition.ToString(CultureInfo.InvariantCulture))));
                headers.Add(new KafkaHeader("kafka-offset", Encoding.UTF8.GetBytes(origin.Offset.ToString(CultureInfo.InvariantCulture))));
            }
            records.Add(new OutgoingRecord(topics.DeadLetters, Encoding.UTF8.GetBytes(dead.Position.ToString()), buffer.WrittenSpan.ToArray(), headers.ToImmutable()));
        }
        return records.ToImmutable();
    }

}
