using Akka;
using Akka.Streams.Dsl;

namespace ProfilePipeline.Kafka;

/// <summary>Batched offset commits: groups offsets for up to <c>interval</c> and commits the highest per partition.</summary>
public static class KafkaCommitter
{
    public static Flow<CommittableOffset, int, NotUsed> Batched(IKafkaControl control, int maxBatch, TimeSpan interval, Action<string>? log = null) =>
        Flow.Create<CommittableOffset>()
            .GroupedWithin(maxBatch, interval)
            .SelectAsync(1, async batch =>
            {
                var offsets = batch as IReadOnlyCollection<CommittableOffset> ?? batch.ToList();
                try
                {
                    await control.CommitAsync(offsets).ConfigureAwait(false);
                }
                catch (Confluent.Kafka.KafkaException e)
                {
                    // Offsets are cumulative: the next batch commits past this one; if none comes, the records are redelivered.
                    log?.Invoke($"kafka commit failed, retried with the next batch: {e.Error.Reason}");
                }
                return offsets.Count;
            });
}
