using Akka.Streams.Dsl;
using ProfilePipeline.Kafka.Internal;

namespace ProfilePipeline.Kafka;

/// <summary>Kafka sources on Confluent.Kafka, in the manner of Akka.Streams.Kafka.</summary>
public static class KafkaSource
{
    /// <summary>
    /// A consumer-group subscription whose records carry a <see cref="CommittableOffset"/>. Nothing is committed
    /// automatically: commit through the materialized <see cref="IKafkaControl"/> once a record is fully handled.
    /// </summary>
    public static Source<KafkaRecord, IKafkaControl> CommittableSource(KafkaConsumerSettings settings, Action<string>? log = null) =>
        Source.FromGraph(new CommittableSourceStage(settings.Validate(), log ?? (_ => { })));
}
