using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Akka;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams;

/// <param name="Actions">The decided actions (keyed by user id).</param>
public sealed record KafkaTopics(string Events, string Profiles, string DeadLetters, string Actions = "profile-actions");

/// <summary>
/// Publishes profile updates (keyed by user id) and dead letters (with reason and coordinates in headers), then
/// commits each record's offset once everything it produced is acknowledged by the broker and the stages' state is
/// durable up to it (<see cref="CheckpointBarrier"/>).
/// </summary>
public static class KafkaOutputs
{
    public static Flow<PipelineItem, int, NotUsed> Create(
        KafkaProducerSettings settings, IProducer<byte[]?, byte[]?> producer, KafkaTopics topics, IKafkaControl? consumer,
        PipelineMetrics metrics, int commitBatch, TimeSpan commitInterval, CheckpointBarrier checkpoints, Erasures? erasures = null, Action<string>? log = null)
    {
        var published = Flow.Create<PipelineItem>()
            .Select(item => new ProducerEnvelope<PipelineItem>(Records(item, topics, erasures), item))
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
            .Via(KafkaCommitter.Batched(consumer, commitBatch, commitInterval, log, checkpoints.BeforeCheckpointAsync));
    }

    /// <summary>The records one item publishes; none for a profile update of a user erased while it was in flight.</summary>
    public static ImmutableArray<OutgoingRecord> Records(PipelineItem item, KafkaTopics topics, Erasures? erasures = null)
    {
        var records = ImmutableArray.CreateBuilder<OutgoingRecord>(2 + item.Inactive.Length + item.Actions.Length);
        void AddProfile(ScoredProfile profile)
        {
            if (erasures?.Suppresses(profile.Features.UserId, profile.Features.AsOf) == true)
                return;
            var buffer = new ArrayBufferWriter<byte>(2048);
            ProfileJson.WriteProfile(buffer, profile);
            records.Add(new OutgoingRecord(topics.Profiles, Encoding.UTF8.GetBytes(profile.Features.UserId), buffer.WrittenSpan.ToArray(), []));
        }
        if (item.Profile is { } updated)
            AddProfile(updated);
        foreach (var inactive in item.Inactive)
            AddProfile(inactive);
        foreach (var action in item.Actions)
        {
            if (erasures?.Suppresses(action.UserId, action.Profile.Features.AsOf) == true)
                continue;
            var buffer = new ArrayBufferWriter<byte>(512);
            ProfileJson.WriteAction(buffer, action);
            records.Add(new OutgoingRecord(topics.Actions, Encoding.UTF8.GetBytes(action.UserId), buffer.WrittenSpan.ToArray(),
                [new KafkaHeader("action", Encoding.UTF8.GetBytes(action.Action))]));
        }
        if (item.DeadLetter is { } dead && !(dead.UserId is not null && erasures?.Suppresses(dead.UserId, long.MinValue) == true))
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            ProfileJson.WriteDeadLetter(buffer, dead);
            var headers = ImmutableArray.CreateBuilder<KafkaHeader>();
            headers.Add(new KafkaHeader("reason", Encoding.UTF8.GetBytes(dead.Reason)));
            headers.Add(new KafkaHeader("source", Encoding.UTF8.GetBytes(dead.Position.SourceId)));
            headers.Add(new KafkaHeader("source-offset", Encoding.UTF8.GetBytes(dead.Position.Offset.ToString(CultureInfo.InvariantCulture))));
            if (dead.UserId is not null)
                headers.Add(new KafkaHeader("user-id", Encoding.UTF8.GetBytes(dead.UserId)));
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

/// <summary>
/// Erases a user from the scored-profile topic with a tombstone (the user's key and no value), which log compaction
/// turns into the removal of every earlier record of the user.
/// </summary>
public sealed class KafkaTombstones(IProducer<byte[]?, byte[]?> producer, KafkaTopics topics, PipelineMetrics metrics) : IOutputEraser
{
    /// <summary>How long to wait for the records read before the erasure to be published; the pipeline may be paused.</summary>
    public static readonly TimeSpan InFlightWait = TimeSpan.FromSeconds(30);

    public async Task<OutputErasure> EraseUserAsync(string userId, CancellationToken cancellationToken)
    {
        // Outputs complete in input order. Once every record read before now is published, nothing computed before the
        // erasure can follow the tombstone (later records of the user are refused, or start a new profile after it).
        var readBefore = metrics.Read;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (metrics.Completed < readBefore && waited.Elapsed < InFlightWait)
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        await producer.ProduceAsync(topics.Profiles, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(userId), Value = null },
            cancellationToken).ConfigureAwait(false);
        return new OutputErasure(0, 0, true);
    }
}
