using System.Collections.Immutable;
using Akka.Configuration;

namespace ProfilePipeline.Kafka;

/// <summary>Immutable producer settings; idempotent delivery with all in-sync replicas acknowledging by default.</summary>
public sealed record KafkaProducerSettings
{
    public required string BootstrapServers { get; init; }

    /// <summary>Sends awaiting their delivery report at once; the flow backpressures beyond it.</summary>
    public int MaxInFlight { get; init; } = 10_000;

    public ImmutableSortedDictionary<string, string> Properties { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public KafkaProducerSettings WithBootstrapServers(string servers) => this with { BootstrapServers = servers };
    public KafkaProducerSettings WithMaxInFlight(int maxInFlight) => this with { MaxInFlight = maxInFlight };
    public KafkaProducerSettings WithProperty(string key, string value) => this with { Properties = Properties.SetItem(key, value) };

    public static KafkaProducerSettings Create(Config config) => new KafkaProducerSettings
    {
        BootstrapServers = config.GetString("bootstrap-servers") ?? "",
        MaxInFlight = config.GetInt("max-in-flight", 10_000),
        Properties = KafkaProperties.From(config),
    }.Validate();

    public KafkaProducerSettings Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw new ConfigurationException("kafka producer: bootstrap-servers is required");
        if (MaxInFlight < 1)
            throw new ConfigurationException("kafka producer: max-in-flight must be positive");
        return this;
    }

    /// <summary>Idempotent, all in-sync replicas acknowledging, 5 ms linger, unless <see cref="Properties"/> says otherwise.</summary>
    internal Confluent.Kafka.ProducerConfig ToClientConfig()
    {
        var config = new Confluent.Kafka.ProducerConfig { EnableIdempotence = true, Acks = Confluent.Kafka.Acks.All, LingerMs = 5 };
        foreach (var (key, value) in Properties)
            config.Set(key, value);
        config.BootstrapServers = BootstrapServers;
        return config;
    }
}

internal static class KafkaProperties
{
    /// <summary>The <c>properties { }</c> block, flattened to librdkafka's dotted names.</summary>
    public static ImmutableSortedDictionary<string, string> From(Config config)
    {
        var properties = config.GetConfig("properties");
        if (properties is null || properties.IsEmpty)
            return ImmutableSortedDictionary<string, string>.Empty;
        return properties.AsEnumerable()
            .ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.GetString(), StringComparer.Ordinal);
    }
}
