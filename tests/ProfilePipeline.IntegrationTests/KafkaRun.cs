using System.Text;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Testing;

namespace ProfilePipeline.IntegrationTests;

/// <summary>One Kafka pipeline scenario's names (topics, group) and the --config file that points the node at them.</summary>
public sealed class KafkaRun
{
    /// <param name="extraConfig">HOCON added to the run's configuration file.</param>
    public KafkaRun(KafkaBroker broker, string extraConfig = "")
    {
        Broker = broker;
        var id = Guid.NewGuid().ToString("N")[..12];
        Events = $"events-{id}";
        DeadLetters = $"dead-{id}";
        Actions = $"actions-{id}";
        Profiles = $"profiles-{id}";
        Group = $"pipeline-{id}";
        Folder = TestData.NewFolder("kafka");
        DataDirectory = Path.Combine(Folder, "data");
        ConfigFile = Path.Combine(Folder, "kafka.conf");
        var properties = string.Join("\n", KafkaBroker.FastConsumer.Select(p => $"\"{p.Key}\" = \"{p.Value}\""));
        File.WriteAllText(ConfigFile, $$"""
            profile-pipeline.kafka {
              group-id = "{{Group}}"
              topics { events = "{{Events}}", profiles = "{{Profiles}}", dead-letters = "{{DeadLetters}}", actions = "{{Actions}}" }
              consumer.properties { {{properties}} }
              # A small buffer keeps little in flight, so that interruptions land mid-stream.
              consumer.buffer-size = 1000
              commit-interval = 50ms
            }
            {{extraConfig}}
            """);
    }

    public KafkaBroker Broker { get; }
    public string Events { get; }
    public string Profiles { get; }
    public string DeadLetters { get; }
    public string Actions { get; }
    public string Group { get; }
    public string Folder { get; }
    public string DataDirectory { get; }
    public string ConfigFile { get; }

    /// <summary>The item catalogue the node joins (written by <see cref="ProduceGenerated"/>).</summary>
    public string Catalogue => Path.Combine(Folder, "items.csv");

    public string[] NodeArguments =>
        ["run", "--kafka", Broker.BootstrapServers, "--data-dir", DataDirectory, "--config", ConfigFile, "--catalogue", Catalogue, "--progress-seconds", "1"];

    /// <summary>Loads generated records as a platform team's producer would: the JSON line, keyed by user id, no extra headers.</summary>
    /// <param name="recordsPerBatch">The producer's batch size in records (see <see cref="KafkaBroker.Produce"/>).</param>
    public List<GeneratedRecord> ProduceGenerated(GeneratorSettings settings, int? recordsPerBatch = null)
    {
        var generator = new BehaviorGenerator(settings);
        generator.Catalogue.WriteCsv(Catalogue);
        var records = generator.Generate().ToList();
        Broker.Produce(Events, records.Select(r => (UserOf(r.Line), (byte[]?)Encoding.UTF8.GetBytes(r.Line))), recordsPerBatch);
        return records;
    }

    /// <summary>True once the group has committed every record of the events topic.</summary>
    public bool AllCommitted()
    {
        var end = Broker.EndOffsets(Events, 4);
        var committed = Broker.Committed(Group, Events, 4);
        return end.All(p => p.Value == 0 || committed.GetValueOrDefault(p.Key) == p.Value);
    }

    /// <summary>The user id of a generated record's JSON line (its Kafka key), or null for a malformed one without it.</summary>
    public static string? UserOf(string line)
    {
        const string marker = "\"userId\":\"";
        var start = line.IndexOf(marker, StringComparison.Ordinal);
        return start < 0 ? null : line[(start + marker.Length)..line.IndexOf('"', start + marker.Length)];
    }
}
