using Confluent.Kafka;

namespace ProfilePipeline.Kafka.Tests;

/// <summary>
/// The broker the Kafka tests talk to: a real one when KAFKA_BOOTSTRAP_SERVERS is set (docker compose), otherwise
/// librdkafka's mock cluster on 127.0.0.1 (a real Kafka-protocol broker inside this test process). One per test class.
/// </summary>
public sealed class KafkaBroker : IDisposable
{
    private readonly MockKafkaCluster? _mock;

    public KafkaBroker()
    {
        var external = Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS");
        if (string.IsNullOrWhiteSpace(external))
        {
            _mock = MockKafkaCluster.Start();
            BootstrapServers = _mock.BootstrapServers;
        }
        else
        {
            BootstrapServers = external;
        }
    }

    public string BootstrapServers { get; }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public void Produce(string topic, IEnumerable<(string? Key, byte[]? Value)> records)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = BootstrapServers, EnableIdempotence = true }).Build();
        foreach (var (key, value) in records)
            producer.Produce(topic, new Message<byte[]?, byte[]?> { Key = key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), Value = value });
        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Reads a topic from the beginning until <paramref name="expected"/> records arrived or the time is up.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string topic, int expected, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = UniqueName("reader"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + timeout;
        while (records.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
                records.Add(result);
        }
        consumer.Close();
        return records;
    }

    /// <summary>The group's committed offset (next to read) per partition of a topic.</summary>
    public Dictionary<int, long> Committed(string groupId, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = groupId }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .Where(o => o.Offset != Offset.Unset)
            .ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
    }

    public Dictionary<int, long> EndOffsets(string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = UniqueName("probe") }).Build();
        return Enumerable.Range(0, partitions).ToDictionary(p => p,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    public void Dispose() => _mock?.Dispose();
}
