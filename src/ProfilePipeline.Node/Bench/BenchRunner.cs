using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Data.Sqlite;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Entities;
using ProfilePipeline.Entities.Storage;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Bench;

/// <summary>
/// The `bench` command: durable throughput next to the machine's limits on the same events (in-memory journal,
/// pass-through, raw SQLite insert), open-loop latency at 50% and 90% of the durable maximum, memory per live
/// profile, and recovery, in one process. Prints a table and returns the figures as JSON.
/// </summary>
public sealed partial class BenchRunner(BenchOptions options, TextWriter console)
{
    private const string InMemoryJournal = """
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    private readonly Pseudonymizer _pseudonymizer = new(NodeConfig.DefaultPseudonymKey);
    private int _runNumber;

    public async Task<JsonObject> RunAsync()
    {
        var (records, sideData) = Prepare();
        var report = NewReport(options.ConfigFile is null ? "defaults" : File.ReadAllText(options.ConfigFile));

        var durable = await RepeatAsync("durable (SQLite, every commit flushed)", () => RunGraphAsync(null, records, sideData)).ConfigureAwait(false);
        var inMemory = await RepeatAsync("limit: in-memory journal", () => RunGraphAsync(InMemoryJournal, records, sideData)).ConfigureAwait(false);
        var passThrough = Median(await Times(options.Runs, () => PassThroughAsync(records)).ConfigureAwait(false));
        console.WriteLine($"  limit: pass-through source → sink: {passThrough:N0} events/s");
        var sqlite = Median(await Times(options.Runs, () => Task.FromResult(StorageLimit.RowsPerSecond(NewDirectoryFile("limit.db"), CleanEvents(records)))).ConfigureAwait(false));
        console.WriteLine($"  limit: SQLite batched insert ({StorageLimit.RowsPerTransaction} rows per transaction): {sqlite:N0} rows/s");
        report["durable"] = Throughput(durable);
        report["limits"] = new JsonObject
        {
            ["inMemoryJournal"] = Throughput(inMemory),
            ["passThrough"] = new JsonObject { ["eventsPerSecond"] = Math.Round(passThrough) },
            ["sqliteBatchedInsert"] = new JsonObject { ["rowsPerSecond"] = Math.Round(sqlite), ["rowsPerTransaction"] = StorageLimit.RowsPerTransaction },
        };
        var best = durable.Median.EventsPerSecond;
        report["ratios"] = new JsonObject
        {
            ["durableToInMemoryJournal"] = Math.Round(best / inMemory.Median.EventsPerSecond, 3),
            ["durableToPassThrough"] = Math.Round(best / passThrough, 3),
            ["durableToSqliteBatchedInsert"] = Math.Round(best / sqlite, 3),
        };

        report["latency"] = new JsonObject
        {
            ["at50Percent"] = await LatencyAsync(0.5, best, records, sideData).ConfigureAwait(false),
            ["at90Percent"] = await LatencyAsync(0.9, best, records, sideData).ConfigureAwait(false),
        };
        report["memory"] = await new MemoryProbe(options, console).MeasureAsync(Config(null, NewDirectory())).ConfigureAwait(false);
        report["recovery"] = await new RecoveryProbe(options, console, _pseudonymizer, sideData).MeasureAsync(durable.Store, Config(null, durable.Store), records[0]).ConfigureAwait(false);

        var comparisonRecords = records.Take((int)Math.Min(records.Count, options.ComparisonEvents)).ToList();
        var onAkkaSql = await RunGraphAsync("profile-pipeline.storage.provider = sqlite-akka-persistence-sql", comparisonRecords, sideData).ConfigureAwait(false);
        var onOurs = await RunGraphAsync(null, comparisonRecords, sideData).ConfigureAwait(false);
        console.WriteLine($"  comparison on {comparisonRecords.Count:N0} events: Akka.Persistence.Sql on SQLite {onAkkaSql.Result.EventsPerSecond:N0} events/s, embedded journal {onOurs.Result.EventsPerSecond:N0} events/s");
        report["comparison"] = new JsonObject
        {
            ["events"] = comparisonRecords.Count,
            ["akkaPersistenceSqlOnSqlite"] = new JsonObject { ["eventsPerSecond"] = Math.Round(onAkkaSql.Result.EventsPerSecond) },
            ["embeddedSqliteJournal"] = new JsonObject { ["eventsPerSecond"] = Math.Round(onOurs.Result.EventsPerSecond) },
        };
        report["postgresql"] = await PostgresAsync(comparisonRecords, sideData).ConfigureAwait(false);
        return report;
    }

    /// <summary>An empty work folder, the generated records in memory and the side data files they refer to.</summary>
    private (List<RawBehavior> Records, SideDataFiles SideData) Prepare()
    {
        EmptyWorkDirectory();
        var generator = new GeneratorSettings { Events = options.Events, Users = options.Users, Seed = options.Seed }.Validate();
        console.WriteLine($"bench: {options.Events:N0} generated events over {options.Users:N0} users, {options.Runs} run(s) each, {Environment.ProcessorCount} cores");
        return (RecordSources.ReadGenerator(generator, -1).ToList(), WriteSideData(generator));
    }

    private void EmptyWorkDirectory()
    {
        if (Directory.Exists(options.WorkDirectory))
            Directory.Delete(options.WorkDirectory, recursive: true);
        Directory.CreateDirectory(options.WorkDirectory);
    }

    /// <summary>A setting of the garbage collector as the runtime applied it (the environment overrides the build).</summary>
    private static string GcSetting(string name) => GC.GetConfigurationVariables().TryGetValue(name, out var value) ? value.ToString() ?? "" : "unknown";

    private JsonObject NewReport(JsonNode config) => new()
    {
        ["date"] = DateTimeOffset.UtcNow.ToString("O"),
        ["commit"] = GitCommit(),
        ["machine"] = new JsonObject
        {
            ["cores"] = Environment.ProcessorCount, ["os"] = Environment.OSVersion.ToString(), ["runtime"] = Environment.Version.ToString(),
            ["serverGc"] = System.Runtime.GCSettings.IsServerGC, ["gcHeaps"] = GcSetting("HeapCount"),
            ["gcDynamicAdaptation"] = GcSetting("GCDynamicAdaptationMode"), // DATAS: 0 off (our build), 1 on (the runtime's default)
        },
        ["settings"] = new JsonObject
        {
            ["events"] = options.Events, ["users"] = options.Users, ["runs"] = options.Runs, ["seed"] = options.Seed, ["quick"] = options.Quick,
            ["config"] = config,
        },
    };

    /// <summary>The same graph with the journal and snapshots on a throwaway local PostgreSQL 15 (Akka.Persistence.Sql).</summary>
    private async Task<JsonObject> PostgresAsync(IReadOnlyList<RawBehavior> records, SideDataFiles sideData)
    {
        if (ThrowawayPostgres.FindBinaries() is null)
        {
            console.WriteLine("  postgresql: not measured (no PostgreSQL server binaries; set PG_BIN)");
            return new JsonObject { ["measured"] = false, ["reason"] = "no PostgreSQL server binaries found (initdb, pg_ctl); set PG_BIN" };
        }
        using var server = ThrowawayPostgres.Start();
        var hocon = $"""
            profile-pipeline.storage.provider = postgresql
            profile-pipeline.storage.postgresql-connection-string = "{server.ConnectionString}"
            """;
        var run = await RunGraphAsync(hocon, records, sideData).ConfigureAwait(false);
        console.WriteLine($"  postgresql (local server, synchronous_commit on, Akka.Persistence.Sql): {run.Result.EventsPerSecond:N0} events/s on {records.Count:N0} events, {run.Result.Gc}");
        return new JsonObject
        {
            ["measured"] = true,
            ["events"] = records.Count,
            ["eventsPerSecond"] = Math.Round(run.Result.EventsPerSecond),
            ["p99LatencyMs"] = Ms(run.Result.Metrics.Latency.Quantile(0.99)),
            ["server"] = "PostgreSQL 15 on 127.0.0.1 in a temporary folder, synchronous_commit = on, journal through Akka.Persistence.Sql (provider PostgreSQL.15, parallelism 4)",
        };
    }

    private sealed record GraphRun(BenchPipeline.Result Result, string Store);

    private sealed record Repeated(IReadOnlyList<GraphRun> Runs)
    {
        public BenchPipeline.Result Median => Runs.Select(r => r.Result).OrderBy(r => r.EventsPerSecond).ElementAt(Runs.Count / 2);

        /// <summary>The store of the median run, reused by the recovery probe.</summary>
        public string Store => Runs.OrderBy(r => r.Result.EventsPerSecond).ElementAt(Runs.Count / 2).Store;
    }

    private async Task<Repeated> RepeatAsync(string name, Func<Task<GraphRun>> run)
    {
        var runs = new List<GraphRun>();
        for (var i = 0; i < options.Runs; i++)
        {
            var result = await run().ConfigureAwait(false);
            console.WriteLine($"  {name}: run {i + 1}: {Describe(result.Result)}");
            runs.Add(result);
        }
        return new Repeated(runs);
    }

    private static string Describe(BenchPipeline.Result result) => Describe(RunFigures.Of(result));

    private static string Describe(RunFigures run) =>
        $"{run.EventsPerSecond:N0} events/s ({run.Elapsed.TotalSeconds:F1} s, p99 latency {run.P99LatencyMs:N0} ms, " +
        $"{run.CoresBusy:F2} of {Environment.ProcessorCount} cores busy, {run.Gc}, {run.Jit})";

    private async Task<GraphRun> RunGraphAsync(string? hocon, IReadOnlyList<RawBehavior> records, SideDataFiles sideData,
        Func<IReadOnlyList<RawBehavior>, PipelineMetrics, Akka.Streams.Dsl.Source<PipelineItem, Akka.NotUsed>>? shape = null, string? configFile = null)
    {
        var directory = NewDirectory();
        Collect();
        var result = await BenchPipeline.RunAsync(Config(hocon, directory, configFile), directory, _pseudonymizer, sideData, records, shape).ConfigureAwait(false);
        return new GraphRun(result, directory);
    }

    private static JsonObject Throughput(Repeated repeated) => new()
    {
        ["eventsPerSecond"] = Math.Round(repeated.Median.EventsPerSecond),
        ["runs"] = new JsonArray([.. repeated.Runs.Select(r => (JsonNode)Math.Round(r.Result.EventsPerSecond))]),
        ["coresBusy"] = Math.Round(repeated.Median.CoresBusy, 2),
        ["users"] = repeated.Median.Metrics.Users,
        ["profileUpdates"] = repeated.Median.Metrics.ProfilesWritten,
        ["eventsApplied"] = repeated.Median.Metrics.Applied,
    };

    private async Task<JsonObject> LatencyAsync(double share, double maxEventsPerSecond, IReadOnlyList<RawBehavior> records, SideDataFiles sideData)
    {
        var rate = Math.Max(1, (int)(maxEventsPerSecond * share));
        var wanted = rate * (options.LatencyWarmUp + options.LatencyDuration).TotalSeconds;
        var count = (int)Math.Min(records.Count, wanted);
        // Too few records for the whole schedule: warm-up and measured part shrink together, so something is measured.
        var warmUp = options.LatencyWarmUp * (count / wanted);
        var run = await RunGraphAsync(null, records.Take(count).ToList(), sideData, BenchPipeline.OpenLoop(rate, warmUp)).ConfigureAwait(false);
        var latency = run.Result.Metrics.Latency;
        var figures = new JsonObject
        {
            ["offeredEventsPerSecond"] = rate,
            ["events"] = count,
            ["eventsMeasured"] = latency.Count,
            ["warmUpSeconds"] = Math.Round(warmUp.TotalSeconds, 3),
            ["p50Ms"] = Ms(latency.Quantile(0.5)),
            ["p95Ms"] = Ms(latency.Quantile(0.95)),
            ["p99Ms"] = Ms(latency.Quantile(0.99)),
            ["maxMs"] = Ms(latency.Max),
            ["gcPausedMs"] = Ms(run.Result.Gc.Paused),
        };
        console.WriteLine($"  latency at {share:P0} ({rate:N0} events/s offered, open loop): p50 {figures["p50Ms"]} / p95 {figures["p95Ms"]} / p99 {figures["p99Ms"]} / max {figures["maxMs"]} ms, {run.Result.Gc}");
        return figures;
    }

    private async Task<double> PassThroughAsync(IReadOnlyList<RawBehavior> records)
    {
        var system = ActorSystem.Create("bench-pass-through", "akka.loglevel = WARNING");
        try
        {
            await using var file = new FileStream(NewDirectoryFile("pass-through.jsonl"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            var stopwatch = Stopwatch.StartNew();
            await RecordSources.From(() => records)
                .Async()
                .Grouped(5000)
                .RunForeach(batch =>
                {
                    foreach (var item in batch)
                    {
                        file.Write(Encoding.UTF8.GetBytes(item.Raw!.Payload));
                        file.WriteByte((byte)'\n');
                    }
                }, system.Materializer()).ConfigureAwait(false);
            await file.FlushAsync().ConfigureAwait(false);
            return records.Count / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    private List<BehaviorEvent> CleanEvents(IReadOnlyList<RawBehavior> records)
    {
        var cleaner = new BehaviorCleaner(_pseudonymizer, CleanerSettings.Default, () => DateTimeOffset.UtcNow);
        return [.. records.Select(r => cleaner.Clean(r).Event).OfType<BehaviorEvent>()];
    }

    /// <summary>The node's configuration as `run --config` makes it (<paramref name="configFile"/>, else the bench's), with <paramref name="hocon"/> over it.</summary>
    private Config Config(string? hocon, string directory, string? configFile = null) =>
        NodeConfig.Load(configFile ?? options.ConfigFile, directory, hocon is null ? null : hocon + "\n");

    private SideDataFiles WriteSideData(GeneratorSettings generator)
    {
        var behavior = new BehaviorGenerator(generator);
        var catalogue = Path.Combine(options.WorkDirectory, "items.csv");
        var users = Path.Combine(options.WorkDirectory, "users.csv");
        behavior.Catalogue.WriteCsv(catalogue);
        behavior.WriteUserAttributesCsv(users);
        return new SideDataFiles(catalogue, users, _pseudonymizer);
    }

    private string NewDirectory()
    {
        var directory = Path.Combine(options.WorkDirectory, $"run-{++_runNumber}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    private string NewDirectoryFile(string name) => Path.Combine(NewDirectory(), name);

    private static async Task<List<double>> Times(int runs, Func<Task<double>> measure)
    {
        var results = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            Collect();
            results.Add(await measure().ConfigureAwait(false));
        }
        return results;
    }

    /// <summary>The middle value; with an even count, the mean of the two middle ones.</summary>
    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    internal static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 2);

    internal static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static string GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "describe --always --dirty") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? commit : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown (git not found)";
        }
    }
}
