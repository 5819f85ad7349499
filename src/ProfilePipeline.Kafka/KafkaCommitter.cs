using Akka;
using Akka.Streams.Dsl;

namespace ProfilePipeline.Kafka;

/// <summary>Batched offset commits: groups offsets for up to <c>interval</c> and commits the highest per partition.</summary>
public static class KafkaCommitter
{
    /// <param name="beforeCommit">Awaited before each commit (what must be durable before offsets move); a fault fails the stream and commits nothing.</param>
    public static Flow<CommittableOffset, int, NotUsed> Batched(IKafkaControl control, int maxBatch, TimeSpan interval, Action<string>? log = null,
        Func<Task>? beforeCommit = null) =>
        Flow.Create<CommittableOffset>()
            .GroupedWithin(maxBatch, interval)
            .SelectAsync(1, async batch =>
            {
                var offsets = batch as IReadOnlyCollection<CommittableOffset> ?? batch.ToList();
                if (beforeCommit is not null)
                    await beforeCommit().ConfigureAwait(false);
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
