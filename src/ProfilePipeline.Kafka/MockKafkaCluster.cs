using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace ProfilePipeline.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster: real Kafka protocol brokers on 127.0.0.1 that live as long as this
/// object. For trying the pipeline out and for tests; not for production (no durability, no security).
/// Topics are created on first produce.
/// </summary>
public sealed partial class MockKafkaCluster : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _owner;

    private MockKafkaCluster(IProducer<byte[]?, byte[]?> owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The brokers' addresses, host:port separated by commas.</summary>
    public string BootstrapServers { get; }

    public static MockKafkaCluster Start(int brokers = 3, TimeSpan? timeout = null)
    {
        string? addresses = null;
        var config = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var owner = new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler((_, message) =>
            {
                var match = MockAddresses().Match(message.Message);
                if (match.Success)
                    Volatile.Write(ref addresses, match.Groups[1].Value);
            })
            .Build();
        // The log line is emitted while the client starts; poll so that its log callback runs.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref addresses) is null && DateTime.UtcNow < deadline)
            owner.Poll(TimeSpan.FromMilliseconds(50));
        if (Volatile.Read(ref addresses) is not { } bootstrap)
        {
            owner.Dispose();
            throw new InvalidOperationException("librdkafka did not report the mock cluster's addresses");
        }
        return new MockKafkaCluster(owner, bootstrap);
    }

    [GeneratedRegex(@"replaced with ([0-9.:,]+)")]
    private static partial Regex MockAddresses();

    public void Dispose() => _owner.Dispose();
}
