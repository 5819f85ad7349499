using System.CommandLine;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Kafka;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>`produce`: loads a file (any import format) or the generator into a Kafka topic as canonical JSON.</summary>
public static class ProduceCommand
{
    public static Command Build()
    {
        var kafka = new Option<string>("--kafka") { Description = "Bootstrap servers.", Required = true };
        var topic = new Option<string>("--topic") { Description = "Topic to load into.", DefaultValueFactory = _ => "behavior-events" };
        var input = new Option<string?>("--input") { Description = "File to load; without it the generator is used." };
        var format = new Option<string>("--format") { DefaultValueFactory = _ => "jsonl" };
        var map = new Option<string?>("--map");
        var events = new Option<long>("--events") { DefaultValueFactory = _ => 100_000 };
        var users = new Option<int>("--users") { DefaultValueFactory = _ => 10_000 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42 };
        var command = new Command("produce", "Load a file or the generator into a Kafka topic (keyed by user, with origin headers).")
        {
            kafka, topic, input, format, map, events, users, seed,
        };
        command.SetAction(async (result, cancellation) =>
        {
            try
            {
                var settings = new KafkaProducerSettings { BootstrapServers = result.GetValue(kafka)! };
                using var producer = KafkaProducer.Create(settings, Console.Error.WriteLine);
                long sent;
                if (result.GetValue(input) is { } path)
                {
                    if (!File.Exists(path))
                        throw new FileNotFoundException($"--input {path} does not exist");
                    var recordFormat = RecordFormats.Create(result.GetValue(format)!, result.GetValue(map));
                    var records = RecordSources.ReadFile(path, recordFormat, RecordSources.FileSourceId(path, recordFormat), -1);
                    sent = await KafkaFeeder.ProduceAsync(records, producer, result.GetValue(topic)!, recordFormat is JsonLinesFormat, cancellation);
                }
                else
                {
                    var generator = new GeneratorSettings { Events = result.GetValue(events), Users = result.GetValue(users), Seed = result.GetValue(seed) }.Validate();
                    sent = await KafkaFeeder.ProduceAsync(RecordSources.ReadGenerator(generator, -1), producer, result.GetValue(topic)!, true, cancellation);
                }
                Console.WriteLine($"produced {sent:N0} records to {result.GetValue(topic)}");
                return 0;
            }
            catch (Exception e) when (e is FormatException or FileNotFoundException or ArgumentException or InvalidOperationException or Confluent.Kafka.KafkaException)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
                return 2;
            }
        });
        return command;
    }
}
