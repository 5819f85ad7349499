using System.Text.Json.Nodes;
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
}
