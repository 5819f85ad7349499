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
        foreach (var user in published.Where(p => !IsInactiveFlag(p)).GroupBy(p => p.GetProperty("userId").GetString()))
        {
            var updates = user.Select(p => p.GetProperty("profileVersion").GetInt64()).ToList();
            Assert.Equal(updates.Order().Distinct(), updates);
        }

        // Segments: once the singleton has trained, profiles carry a segment, and an id means one thing within a version.
        var segments = published.Select(p => p.GetProperty("segment")).Where(s => s.ValueKind == JsonValueKind.Object).ToList();
        Assert.NotEmpty(segments);
        Assert.All(segments.GroupBy(s => (s.GetProperty("version").GetInt32(), s.GetProperty("id").GetString())),
            g => Assert.Single(g.Select(s => s.GetProperty("name").GetString()).Distinct()));

        CheckInactivityFlags(truth, published);
        CheckActions(data, published);
    }

    private static bool IsInactiveFlag(JsonElement profile) => profile.GetProperty("inactiveSinceMs").ValueKind == JsonValueKind.Number;

    /// <summary>
    /// Every user flagged inactive had no event from the flagged profile's time until the gap ran out, and every user
    /// whose last event is more than the gap (plus the watermark's lateness) before the stream's newest was flagged,
    /// with no event of theirs needed to do it.
    /// </summary>
    private static void CheckInactivityFlags(GroundTruth truth, List<JsonElement> published)
    {
        var gap = (long)TimeSpan.FromDays(3).TotalMilliseconds;      // profile-pipeline.decisions.inactive-after
        var lateness = (long)TimeSpan.FromMinutes(5).TotalMilliseconds; // profile-pipeline.decisions.watermark-lateness
        var flags = published.Where(IsInactiveFlag).ToList();
        Assert.NotEmpty(flags);
        foreach (var flag in flags)
        {
            var user = flag.GetProperty("userId").GetString()!;
            var asOf = flag.GetProperty("asOfMs").GetInt64();
            var since = flag.GetProperty("inactiveSinceMs").GetInt64();
            var times = truth.EventTimes[user];
            Assert.Contains(asOf, times);
            Assert.Equal(asOf + gap, since);
            Assert.False(times.Any(t => t > asOf && t < since),
                $"{user} flagged at {flag.GetProperty("evaluatedAtMs").GetInt64()} as quiet from {asOf} to {since} but has events at "
                + string.Join(", ", times.Where(t => t > asOf && t < since)));
            Assert.True(flag.GetProperty("evaluatedAtMs").GetInt64() >= since);
            Assert.Contains("inactive", flag.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.InRange(flag.GetProperty("churnRisk").GetDouble(), 1e-9, 1);
        }
        var newest = truth.EventTimes.Values.Max(t => t[^1]);
        var flagged = flags.Select(f => (f.GetProperty("userId").GetString()!, f.GetProperty("asOfMs").GetInt64())).ToHashSet();
        var quietAtTheEnd = truth.EventTimes.Where(kv => kv.Value[^1] + gap <= newest - lateness).ToList();
        Assert.NotEmpty(quietAtTheEnd);
        Assert.All(quietAtTheEnd, kv => Assert.Contains((kv.Key, kv.Value[^1]), flagged));
    }

    /// <summary>Every action in actions.jsonl satisfies its rule (config/decision-rules.json) and no cap is exceeded.</summary>
    private static void CheckActions(string data, List<JsonElement> published)
    {
        var rules = DecisionConfig.ReadRules(Path.Combine(AppContext.BaseDirectory, "config", "decision-rules.json")).ToDictionary(r => r.Name);
        var actions = File.ReadLines(Path.Combine(data, OutputFiles.ActionsFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(actions, a => a.GetProperty("trigger").GetString() == "update");
        Assert.Contains(actions, a => a.GetProperty("trigger").GetString() == "inactive");
        var inactiveFlags = published.Where(IsInactiveFlag)
            .Select(p => (p.GetProperty("userId").GetString(), p.GetProperty("evaluatedAtMs").GetInt64())).ToHashSet();
        foreach (var a in actions)
        {
            var rule = rules[a.GetProperty("rule").GetString()!];
            Assert.Equal(rule.Action, a.GetProperty("action").GetString());
            Assert.Equal(rule.On == RuleTrigger.Inactive ? "inactive" : "update", a.GetProperty("trigger").GetString());
            var propensity = a.GetProperty("propensity").GetDouble();
            var churn = a.GetProperty("churnRisk").GetDouble();
            var tags = a.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToHashSet();
            var when = rule.When;
            Assert.True(when.MinPropensity is not { } minP || propensity >= minP - 1e-6);
            Assert.True(when.MaxPropensity is not { } maxP || propensity <= maxP + 1e-6);
            Assert.True(when.MinChurnRisk is not { } minC || churn >= minC - 1e-6);
            Assert.True(when.AllTags.All(tags.Contains));
            Assert.True(when.AnyTags.IsEmpty || when.AnyTags.Any(tags.Contains));
            Assert.False(when.NoTags.Any(tags.Contains));
            Assert.True(when.Tiers.IsEmpty || when.Tiers.Contains(a.GetProperty("tier").GetString()!));
            if (rule.On == RuleTrigger.Inactive)
                Assert.Contains((a.GetProperty("userId").GetString(), a.GetProperty("atMs").GetInt64()), inactiveFlags);
        }
        foreach (var group in actions.GroupBy(a => (a.GetProperty("userId").GetString(), a.GetProperty("rule").GetString()!)))
        {
            var cap = rules[group.Key.Item2].Cap;
            var times = group.Select(a => a.GetProperty("atMs").GetInt64()).Order().ToList();
            for (var i = 0; i < times.Count; i++)
                Assert.True(times.Count(t => t <= times[i] && t > times[i] - (long)cap.Per.TotalMilliseconds) <= cap.Count,
                    $"{group.Key}: more than {cap.Count} actions within {cap.Per}");
        }
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
