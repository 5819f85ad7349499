using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ProfilePipeline.Node.Bench;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The benchmark end to end on a tiny workload: every figure it promises is measured, named and consistent.</summary>
[Collection(nameof(PipelineRuns))]
public sealed class BenchSpecs
{
    [Fact]
    public async Task A_tiny_bench_reports_every_figure_by_name_with_consistent_ratios()
    {
        var work = Path.Combine(Path.GetTempPath(), "pp-bench-" + Guid.NewGuid().ToString("N"));
        var options = new BenchOptions
        {
            Events = 6_000,
            Users = 600,
            Runs = 1,
            MemoryUsers = [300, 600],
            EventsPerMemoryUser = 5,
            LatencyDuration = TimeSpan.FromSeconds(1),
            LatencyWarmUp = TimeSpan.FromSeconds(0.5),
            RecoverySample = 50,
            ComparisonEvents = 2_000,
            WorkDirectory = work,
            Save = false,
        };
        try
        {
            var report = await new BenchRunner(options, TextWriter.Null).RunAsync();

            double Figure(string path) => path.Split('.').Aggregate((JsonNode?)report, (node, key) => node?[key]) is { } value
                ? double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
                : throw new Xunit.Sdk.XunitException($"{path} is missing from the report");
            foreach (var positive in new[]
                     {
                         "durable.eventsPerSecond", "limits.inMemoryJournal.eventsPerSecond", "limits.passThrough.eventsPerSecond",
                         "limits.sqliteBatchedInsert.rowsPerSecond", "latency.at50Percent.p99Ms", "latency.at90Percent.p99Ms",
                         "latency.at50Percent.eventsMeasured", "latency.at90Percent.eventsMeasured", "memory.bytesPerProfile", "recovery.startToFirstEventMs", "recovery.perUser.p99Ms",
                         "recovery.allUsers.usersPerSecond", "comparison.akkaPersistenceSqlOnSqlite.eventsPerSecond", "comparison.embeddedSqliteJournal.eventsPerSecond",
                     })
                Assert.True(Figure(positive) > 0, $"{positive} = {Figure(positive)}");

            Assert.Equal(Math.Round(Figure("durable.eventsPerSecond") / Figure("limits.passThrough.eventsPerSecond"), 3), Figure("ratios.durableToPassThrough"), 3);
            Assert.True(Figure("latency.at50Percent.p50Ms") <= Figure("latency.at50Percent.p99Ms"));
            Assert.True(Figure("latency.at50Percent.p99Ms") <= Figure("latency.at50Percent.maxMs"));
            // Every stored user was recovered: the sample one by one, the rest at once.
            Assert.Equal(Figure("recovery.storedUsers"), Figure("recovery.perUser.users") + Figure("recovery.allUsers.users"));
            Assert.Equal(Figure("durable.users"), Figure("recovery.storedUsers"));
            Assert.Equal(3, report["memory"]!["points"]!.AsArray().Count);
            // The PostgreSQL figure is measured wherever the server binaries are installed (they are in CI).
            if (ProfilePipeline.Entities.Storage.ThrowawayPostgres.FindBinaries() is not null)
                Assert.True(Figure("postgresql.eventsPerSecond") > 0);
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void A_negative_number_of_warm_up_runs_is_refused_naming_the_option()
    {
        Assert.Contains(BenchCommand.Build().Parse(["--warm-up-runs", "-1"]).Errors, error => error.Message.Contains("--warm-up-runs"));
        Assert.Empty(BenchCommand.Build().Parse(["--warm-up-runs", "0"]).Errors);
    }

    [Fact]
    public async Task A_comparison_runs_every_configuration_in_its_own_process_in_every_round_and_reports_its_change_from_the_first()
    {
        var work = Path.Combine(Path.GetTempPath(), "pp-bench-compare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var off = Path.Combine(work, "off.conf");
        var on = Path.Combine(work, "on.conf");
        File.WriteAllText(off, "profile-pipeline.learning.enabled = off\nprofile-pipeline.segments.enabled = off\nprofile-pipeline.decisions.enabled = off\n");
        File.WriteAllText(on, "profile-pipeline.segments.enabled = off\nprofile-pipeline.decisions.enabled = off\n");
        var options = new BenchOptions
        {
            Events = 4_000, Users = 400, Runs = 2, ProcessesPerConfiguration = 2, WarmUpRuns = 2, WorkDirectory = Path.Combine(work, "bench"), Save = false,
        };
        try
        {
            var console = new StringWriter();
            var report = await new BenchRunner(options, console).CompareAsync([off, on]);

            var comparison = report["comparison"]!;
            Assert.Equal("1-off", (string)comparison["baseline"]!);
            foreach (var journal in new[] { "durable", "inMemoryJournal" })
            {
                var baseline = comparison["1-off"]![journal]!;
                var learning = comparison["2-on"]![journal]!;
                Assert.Equal(0, (double)baseline["change"]!);
                Assert.Equal(0, (double)baseline["cpuChange"]!);
                foreach (var figures in new[] { baseline, learning })
                {
                    Assert.Equal(2 * 2, figures["runs"]!.AsArray().Count); // two rounds of two processes
                    Assert.True(double.IsFinite((double)figures["processSpread"]!), figures.ToJsonString()); // every process ran, none at 0 events/s
                    Assert.True((double)figures["eventsPerSecond"]! > 0 && (double)figures["cpuSecondsPer100kEvents"]! > 0);
                    Assert.True((long)figures["eventsApplied"]! > 3_000, $"{figures["eventsApplied"]} events applied");
                }
                // Each configuration ran as its file says: only the second takes decision points and labels them.
                Assert.Equal(0, (long)baseline["decisionPoints"]!);
                Assert.True((long)learning["decisionPoints"]! > 0 && (long)learning["labelsReleased"]! > 0, learning.ToJsonString());
                Assert.True(double.IsFinite((double)learning["change"]!) && (double)learning["change"]! > -1);
            }
            // Two warm-up runs of each process, then the rounds, every one on its own line. A process's first run compiles its
            // code: the JIT's figures are taken per run.
            Assert.Equal(2 * 2 * 2, console.ToString().Split('\n').Count(line => line.Contains("warm-up")));
            var firstRunsCompiled = console.ToString().Split('\n').Select(line => Regex.Match(line, @"warm-up 1: .*JIT ([\d,]+) methods")).Where(m => m.Success)
                .Select(m => long.Parse(m.Groups[1].Value.Replace(",", ""))).ToList();
            Assert.Equal(2 * 2, firstRunsCompiled.Count);
            Assert.All(firstRunsCompiled, methods => Assert.True(methods > 100, $"{methods} methods compiled in a process's first run"));
            // A measured run's figures are what it compiled itself, after the warm-up had compiled the most.
            foreach (var journal in new[] { "durable", "inMemoryJournal" })
            {
                foreach (var name in new[] { "1-off", "2-on" })
                {
                    var figures = comparison[name]![journal]!;
                    Assert.True((double)figures["jitMethodsPerRun"]! < firstRunsCompiled.Min(), $"{name}, {journal}: {figures.ToJsonString()}");
                }
            }
            Assert.Equal(2 * 2 * 2 * 2, console.ToString().Split('\n').Count(line => line.Contains(": round ")));
            // In each round the configurations take turns, the first going first in round 1 and the second in round 2.
            var turns = console.ToString().Split('\n').Select(line => Regex.Match(line, @"^\s+(\d)-\w+ #\d, (.+): round (\d+):")).Where(m => m.Success)
                .GroupBy(m => (Journal: m.Groups[2].Value, Round: int.Parse(m.Groups[3].Value)), m => m.Groups[1].Value).ToList();
            Assert.Equal(2 * 2, turns.Count);
            Assert.All(turns, round => Assert.Equal(round.Key.Round == 1 ? ["1", "2", "1", "2"] : ["2", "1", "2", "1"], round.ToArray()));
            // Each configuration ran in two processes of its own, the same two on both journals, none of them this one.
            int[] Processes(string name, string journal) => [.. comparison[name]![journal]!["processes"]!.AsArray().Select(id => (int)id!).Order()];
            foreach (var name in new[] { "1-off", "2-on" })
                Assert.Equal(Processes(name, "durable"), Processes(name, "inMemoryJournal"));
            var processes = Processes("1-off", "durable").Concat(Processes("2-on", "durable")).ToList();
            Assert.Equal(2 * 2, processes.Distinct().Count());
            Assert.DoesNotContain(Environment.ProcessId, processes);
            // Each run's store is deleted once measured.
            Assert.Empty(Directory.GetDirectories(options.WorkDirectory, "run-*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
