using Akka.Configuration;
using ProfilePipeline.Kafka;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>The node's Kafka settings, bound from <c>profile-pipeline.kafka</c>.</summary>
public sealed record KafkaConfig(
    KafkaConsumerSettings Consumer, KafkaProducerSettings Producer, KafkaTopics Topics, int CommitBatch, TimeSpan CommitInterval)
{
    public static KafkaConfig From(Config config, string bootstrapServers, bool embedded = false)
    {
        var k = config.GetConfig("profile-pipeline.kafka") ?? throw new ConfigurationException("missing section profile-pipeline.kafka");
        var topics = new KafkaTopics(k.GetString("topics.events"), k.GetString("topics.profiles"), k.GetString("topics.dead-letters"),
            k.GetString("topics.actions", "profile-actions"));
        var connection = ConfigurationFactory.ParseString($$"""
            bootstrap-servers = "{{bootstrapServers}}"
            group-id = "{{k.GetString("group-id")}}"
            topics = ["{{topics.Events}}"]
            """);
        var consumer = KafkaConsumerSettings.Create(k.GetConfig("consumer").WithFallback(connection));
        var producer = KafkaProducerSettings.Create(k.GetConfig("producer").WithFallback(connection));
        var shared = k.GetConfig("properties");
        if (shared is not null && !shared.IsEmpty)
        {
            // Security and client settings that both clients need (sasl.*, ssl.*, security.protocol).
            foreach (var (name, value) in shared.AsEnumerable())
            {
                consumer = consumer.WithProperty(name, value.GetString());
                producer = producer.WithProperty(name, value.GetString());
            }
        }
        if (embedded)
        {
            // librdkafka's mock broker holds every fetch for fetch.wait.max.ms even when it has data.
            consumer = consumer.WithProperty("fetch.wait.max.ms", "10");
        }
        return new KafkaConfig(consumer, producer, topics, k.GetInt("commit-batch"), k.GetTimeSpan("commit-interval"));
    }
}
