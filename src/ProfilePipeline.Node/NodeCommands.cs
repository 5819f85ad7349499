using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Configuration;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;

namespace ProfilePipeline.Node;

/// <summary>The node's command line: `run` (the pipeline), `generate` (a synthetic data set), `produce` (load Kafka), `bench` and `evaluate` (the online learner on a replay).</summary>
public static class NodeCommands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("ProfilePipeline: real-time user profiles from behaviour events.");
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(GenerateCommand());
        root.Subcommands.Add(ProduceCommand.Build());
        root.Subcommands.Add(Bench.BenchCommand.Build());
        root.Subcommands.Add(EvaluateCommand.Build());
        return root;
    }

    private static Command RunCommand()
    {
        var defaults = new RunOptions();
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for the store (SQLite), the outputs and the checkpoint.", DefaultValueFactory = _ => defaults.DataDirectory };
        var input = new Option<string?>("--input") { Description = "An event log to replay; without it the synthetic generator is used." };
        var format = new Option<string>("--format") { Description = $"Input format: {string.Join(", ", RecordFormats.Names)}.", DefaultValueFactory = _ => defaults.Format };
        var map = new Option<string?>("--map") { Description = "Column mapping for --format csv, e.g. \"userId=user,type=action,timestamp=ts,itemId=sku\"." };
        var events = new Option<long>("--events") { Description = "Generator: number of records.", DefaultValueFactory = _ => defaults.Events };
        var users = new Option<int>("--users") { Description = "Generator: number of users.", DefaultValueFactory = _ => defaults.Users };
        var seed = new Option<ulong>("--seed") { Description = "Generator: seed (same seed, same stream).", DefaultValueFactory = _ => defaults.Seed };
        var malformed = new Option<double>("--malformed") { Description = "Generator: share of malformed records.", DefaultValueFactory = _ => defaults.MalformedShare };
        var duplicates = new Option<double>("--duplicates") { Description = "Generator: share of duplicated records.", DefaultValueFactory = _ => defaults.DuplicateShare };
        var rate = new Option<int>("--rate") { Description = "Generator: records per second (0: as fast as the pipeline takes them).", DefaultValueFactory = _ => 0 };
        var catalogue = new Option<string?>("--catalogue") { Description = "Item catalogue CSV: itemId,categoryId,categoryPath,brand,price." };
        var userAttributes = new Option<string?>("--user-attributes") { Description = "User attributes CSV: userId,ageBand,gender,region,registeredAt." };
        var config = new Option<string?>("--config") { Description = "A HOCON file overriding config/profilepipeline.conf." };
        var progress = new Option<double>("--progress-seconds") { Description = "Seconds between progress lines.", DefaultValueFactory = _ => defaults.ProgressInterval.TotalSeconds };
        var kafka = new Option<string?>("--kafka") { Description = "Consume from and publish to Kafka at these bootstrap servers, or \"embedded\" for an in-process mock broker fed from --input or the generator." };
        var follow = new Option<bool>("--follow") { Description = "With --kafka embedded: keep consuming after the input is loaded and processed." };

        var command = new Command("run", "Run the pipeline until the input is exhausted (Ctrl+C drains and stops).")
        {
            dataDir, input, format, map, events, users, seed, malformed, duplicates, rate, catalogue, userAttributes, config, progress, kafka, follow,
        };
        command.SetAction(async (result, cancellation) =>
        {
            var options = new RunOptions
            {
                DataDirectory = result.GetValue(dataDir)!,
                Input = result.GetValue(input),
                Format = result.GetValue(format)!,
                Map = result.GetValue(map),
                Events = result.GetValue(events),
                Users = result.GetValue(users),
                Seed = result.GetValue(seed),
                MalformedShare = result.GetValue(malformed),
                DuplicateShare = result.GetValue(duplicates),
                Rate = Math.Max(0, result.GetValue(rate)),
                Catalogue = result.GetValue(catalogue),
                UserAttributes = result.GetValue(userAttributes),
                ConfigFile = result.GetValue(config),
                ProgressInterval = TimeSpan.FromSeconds(Math.Max(0.1, result.GetValue(progress))),
                Kafka = result.GetValue(kafka),
                // An external broker is a stream without end; only the embedded one is fed a finite input.
                Follow = result.GetValue(follow) || (result.GetValue(kafka) is { } k && k != RunOptions.EmbeddedKafka),
            };
            // Ctrl+C (SIGINT) and SIGTERM (docker stop, Kubernetes) both drain: stop reading, finish what was read,
            // checkpoint or commit, exit 0. Not disposed: a late signal may still reach a handler while the process winds down.
            var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                drain.Cancel();
            }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            return await Guard(() => new PipelineRunner(options, Console.Out).RunAsync(drain.Token)).ConfigureAwait(false);
        });
        return command;
    }

    private static Command GenerateCommand()
    {
        var output = new Option<string>("--output") { Description = "Folder to write events.jsonl, items.csv and users.csv to.", Required = true };
        var events = new Option<long>("--events") { DefaultValueFactory = _ => 200_000 };
        var users = new Option<int>("--users") { DefaultValueFactory = _ => 20_000 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42 };
        var malformed = new Option<double>("--malformed") { DefaultValueFactory = _ => 0.005 };
        var duplicates = new Option<double>("--duplicates") { DefaultValueFactory = _ => 0.01 };
        var command = new Command("generate", "Write a synthetic behaviour data set (events, catalogue, user attributes) to files.")
        {
            output, events, users, seed, malformed, duplicates,
        };
        command.SetAction(async (result, _) =>
        {
            var settings = new GeneratorSettings
            {
                Events = result.GetValue(events),
                Users = result.GetValue(users),
                Seed = result.GetValue(seed),
                MalformedShare = result.GetValue(malformed),
                DuplicateShare = result.GetValue(duplicates),
            };
            var folder = result.GetValue(output)!;
            return await Guard(() =>
            {
                Directory.CreateDirectory(folder);
                var generator = new BehaviorGenerator(settings);
                generator.Catalogue.WriteCsv(Path.Combine(folder, "items.csv"));
                generator.WriteUserAttributesCsv(Path.Combine(folder, "users.csv"));
                long written = 0;
                using (var writer = new StreamWriter(Path.Combine(folder, "events.jsonl")))
                {
                    foreach (var record in generator.Generate())
                    {
                        writer.WriteLine(record.Line);
                        written++;
                    }
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {written:N0} records to {Path.Combine(folder, "events.jsonl")}"));
                return Task.FromResult(0);
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Turns the errors a user can fix into one clear line and exit code 2, instead of a stack trace.</summary>
    private static async Task<int> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is FormatException or FileNotFoundException or ConfigurationException or ArgumentException
                                       or InvalidDataException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }
}
