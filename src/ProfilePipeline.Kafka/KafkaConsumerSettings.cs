using System.Collections.Immutable;
using Akka.Configuration;

namespace ProfilePipeline.Kafka;

/// <summary>
/// Immutable consumer settings. Built by <see cref="Create(Config)"/> from HOCON and changed with <c>With*</c>,
/// each of which returns a copy carrying every other value unchanged.
/// </summary>
public sealed record KafkaConsumerSettings
{
    public required string BootstrapServers { get; init; }
    public required string GroupId { get; init; }
    public ImmutableArray<string> Topics { get; init; } = [];

    /// <summary>Records buffered between the poll thread and the stream; partitions are paused while it is full.</summary>
    public int BufferSize { get; init; } = 10_000;

    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// On a rebalance, how long the consumer holds a revoked partition until every record of it already handed to the
    /// stream is acknowledged (and committed). The new owner then starts after them, and nothing the old owner still
    /// had in flight is published after what the new owner publishes. Past this the partition is let go regardless.
    /// </summary>
    public TimeSpan RevokeDrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Passed to librdkafka as they are (security.protocol, sasl.*, ssl.*, client.id, ...).</summary>
    public ImmutableSortedDictionary<string, string> Properties { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public KafkaConsumerSettings WithBootstrapServers(string servers) => this with { BootstrapServers = servers };
    public KafkaConsumerSettings WithGroupId(string groupId) => this with { GroupId = groupId };
    public KafkaConsumerSettings WithTopics(params string[] topics) => this with { Topics = [.. topics] };
    public KafkaConsumerSettings WithBufferSize(int size) => this with { BufferSize = size };
    public KafkaConsumerSettings WithProperty(string key, string value) => this with { Properties = Properties.SetItem(key, value) };

    /// <summary>Reads <c>bootstrap-servers</c>, <c>group-id</c>, <c>topics</c>, <c>buffer-size</c>, <c>poll-timeout</c> and <c>properties { }</c>.</summary>
    public static KafkaConsumerSettings Create(Config config)
    {
        var settings = new KafkaConsumerSettings
        {
            BootstrapServers = config.GetString("bootstrap-servers") ?? "",
            GroupId = config.GetString("group-id") ?? "",
            Topics = [.. config.GetStringList("topics")],
            BufferSize = config.GetInt("buffer-size", 10_000),
            PollTimeout = config.GetTimeSpan("poll-timeout", TimeSpan.FromMilliseconds(50)),
            RevokeDrainTimeout = config.GetTimeSpan("revoke-drain-timeout", TimeSpan.FromSeconds(60)),
            Properties = KafkaProperties.From(config),
        };
        return settings.Validate();
    }

    public KafkaConsumerSettings Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw new ConfigurationException("kafka consumer: bootstrap-servers is required");
        if (string.IsNullOrWhiteSpace(GroupId))
            throw new ConfigurationException("kafka consumer: group-id is required");
        if (Topics.IsDefaultOrEmpty)
            throw new ConfigurationException("kafka consumer: at least one topic is required");
        if (BufferSize < 1)
            throw new ConfigurationException("kafka consumer: buffer-size must be positive");
        return this;
    }

    internal Confluent.Kafka.ConsumerConfig ToClientConfig()
    {
        var config = new Confluent.Kafka.ConsumerConfig(Properties.ToDictionary())
        {
            BootstrapServers = BootstrapServers,
            GroupId = GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
            // Tells an assigned partition with nothing to read (PartitionAssignments), which then holds no watermark back.
            EnablePartitionEof = true,
        };
        return config;
    }
}
