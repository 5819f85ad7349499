using Confluent.Kafka;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Testing;

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

    /// <summary>
    /// Consumer properties for tests: a dead member is noticed in seconds, not 45 s; and fetches return at once,
    /// because the mock cluster holds every fetch for fetch.wait.max.ms even when it has data.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FastConsumer = new Dictionary<string, string>
    {
        ["session.timeout.ms"] = "6000",
        ["heartbeat.interval.ms"] = "500",
        ["fetch.wait.max.ms"] = "10",
    };

    /// <param name="recordsPerBatch">At most this many records in one of the producer's batches (librdkafka's default,
    /// 10,000, when null). A fetch hands on whole batches, so small batches let a consumer read its partitions in turn.</param>
    public void Produce(string topic, IEnumerable<(string? Key, byte[]? Value)> records, int? recordsPerBatch = null)
    {
        var config = new ProducerConfig { BootstrapServers = BootstrapServers, EnableIdempotence = true, LingerMs = 5, BatchNumMessages = recordsPerBatch };
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(config).Build();
        foreach (var (key, value) in records)
        {
            var message = new Message<byte[]?, byte[]?> { Key = key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), Value = value };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message);
                    break;
                }
                catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }
        producer.Flush(TimeSpan.FromSeconds(60));
    }

    /// <summary>Reads a topic from the beginning until nothing new arrived for <paramref name="idle"/> (bounded by <paramref name="timeout"/>).</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadUntilIdle(string topic, TimeSpan idle, TimeSpan timeout)
    {
        using var consumer = ReaderFor(topic);
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + timeout;
        var lastSeen = DateTime.UtcNow;
        var assigned = false;
        while (DateTime.UtcNow < deadline && (!assigned || DateTime.UtcNow - lastSeen < idle))
        {
            if (!assigned && consumer.Assignment.Count > 0)
            {
                assigned = true; // joining the group takes seconds; idleness counts from then
                lastSeen = DateTime.UtcNow;
            }
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                records.Add(result);
                lastSeen = DateTime.UtcNow;
            }
        }
        consumer.Close();
        return records;
    }

    private IConsumer<byte[]?, byte[]?> ReaderFor(string topic)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = UniqueName("reader"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        foreach (var (key, value) in FastConsumer)
            config.Set(key, value);
        var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        consumer.Subscribe(topic);
        return consumer;
    }

    /// <summary>Reads a topic from the beginning until <paramref name="expected"/> records arrived or the time is up.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string topic, int expected, TimeSpan timeout)
    {
        using var consumer = ReaderFor(topic);
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
