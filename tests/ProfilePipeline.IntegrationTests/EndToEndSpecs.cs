using System.Text.Json;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Node;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The whole graph, in process, on the embedded default: generator → … → SQLite entities → files.</summary>
[Collection(nameof(PipelineRuns))]
public sealed class EndToEndSpecs
{
    private static readonly GeneratorSettings Stream = new()
    {
        Events = 100_000, Users = 4_000, Seed = 1234, MalformedShare = 0.01, DuplicateShare = 0.02,
    };

    private static Task<RunSummary> RunAsync(string dataDirectory) =>
        new PipelineRunner(new RunOptions
        {
            DataDirectory = dataDirectory,
            Events = Stream.Events,
            Users = Stream.Users,
            Seed = Stream.Seed,
            MalformedShare = Stream.MalformedShare,
            DuplicateShare = Stream.DuplicateShare,
            ProgressInterval = TimeSpan.FromSeconds(5),
        }, TextWriter.Null).RunAsync(CancellationToken.None);

    [Fact]
    public async Task A_generated_stream_with_duplicates_and_malformed_records_ends_in_exactly_the_ground_truth_profiles_while_learned_models_swap_in()
    {
        var data = TestData.NewFolder("e2e");
        var records = new BehaviorGenerator(Stream).Generate().ToList();
        var truth = TestData.TruthOf(Stream, records);

        var summary = await RunAsync(data);

        Assert.Equal(Stream.Events, summary.Read);
        Assert.False(summary.Drained);
        var differences = ProfileOutputs.Differences(truth, ProfileOutputs.LatestProfiles(data));
        Assert.True(differences.Count == 0, $"{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");

        var deadLetters = ProfileOutputs.DeadLetters(data);
        Assert.Equal(truth.MalformedOffsets.Order(), deadLetters.Select(d => d.GetProperty("offset").GetInt64()).Order());
        Assert.Equal(truth.Profiles.Values.Sum(p => p.Version), summary.Applied);
        Assert.Equal(Stream.Events - truth.MalformedOffsets.Count - summary.Applied, summary.Duplicates);

        // The online learner promoted versions during the run and the scoring stage swapped them in between batches:
        // the outputs were scored by the rules first and by learned versions later, and no update was scored twice.
        var published = File.ReadLines(Path.Combine(data, "profiles.jsonl")).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement).ToList();
        var versions = published.Select(p => p.GetProperty("propensity").GetProperty("modelVersion").GetString()).Distinct().ToList();
        Assert.Contains("rules-v1", versions);
        Assert.Contains(versions, v => v!.StartsWith("online-v", StringComparison.Ordinal));
        foreach (var user in published.Where(p => !DecisionChecks.IsInactiveFlag(p)).GroupBy(p => p.GetProperty("userId").GetString()))
        {
            var updates = user.Select(p => p.GetProperty("profileVersion").GetInt64()).ToList();
            Assert.Equal(updates.Order().Distinct(), updates);
        }

        // Segments: once the singleton has trained, profiles carry a segment, and an id means one thing within a version.
        var segments = published.Select(p => p.GetProperty("segment")).Where(s => s.ValueKind == JsonValueKind.Object).ToList();
        Assert.NotEmpty(segments);
        Assert.All(segments.GroupBy(s => (s.GetProperty("version").GetInt32(), s.GetProperty("id").GetString())),
            g => Assert.Single(g.Select(s => s.GetProperty("name").GetString()).Distinct()));

        DecisionChecks.InactivityFlags(truth, published);
        DecisionChecks.Actions(data, published);
    }

    [Fact]
    public async Task Running_the_same_command_again_on_the_same_store_changes_nothing()
    {
        var data = TestData.NewFolder("rerun");
        await RunAsync(data);
        var outputs = Snapshot(data);
        var journalRows = JournalRows(data);

        var again = await RunAsync(data);

        Assert.Equal(0, again.Read);
        Assert.Equal(outputs, Snapshot(data));
        Assert.Equal(journalRows, JournalRows(data));
    }

    private static (string, string) Snapshot(string data) =>
        (File.ReadAllText(Path.Combine(data, "profiles.jsonl")), File.ReadAllText(Path.Combine(data, "dead-letters.jsonl")));

    internal static long JournalRows(string data)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "profiles.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM journal";
        return (long)command.ExecuteScalar()!;
    }
}

/// <summary>Pipeline runs share the machine's two cores and each starts a cluster node: one at a time.</summary>
[CollectionDefinition(nameof(PipelineRuns), DisableParallelization = true)]
public sealed class PipelineRuns;
