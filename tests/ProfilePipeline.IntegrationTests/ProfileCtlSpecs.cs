using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ProfilePipeline.Ctl;

namespace ProfilePipeline.IntegrationTests;

/// <summary>profilectl against a live node: tables for people, JSON for scripts, and clear errors.</summary>
[Collection(nameof(PipelineRuns))]
public sealed class ProfileCtlSpecs
{
    private static async Task<(int Exit, string Out, string Err)> CtlAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ProfileCtl.RunAsync(args, output, error, name => environment.GetValueOrDefault(name));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Profilectl_shows_stats_and_profiles_as_tables_and_json_and_says_clearly_what_went_wrong()
    {
        await using var node = await RunningNode.StartAsync();
        var local = new Dictionary<string, string>();
        var remote = new Dictionary<string, string> { [ProfileCtl.NodeVariable] = $"{node.Url.Host}:{node.Url.Port}", [ProfileCtl.TokenVariable] = node.Token };

        var stats = await CtlAsync(local, "pipeline", "stats", "--data-dir", node.DataDirectory);
        Assert.Equal(0, stats.Exit);
        Assert.Matches(@"(?m)^read\s+\d+", stats.Out);
        Assert.Contains("latencyMs.p99", stats.Out);
        Assert.Matches(@"(?m)^stages\[1\]\.stage\s+profile update\s*$", stats.Out);

        // Per stage: what left it, what is inside it, how fast; counts never grow down the graph.
        await Eventually.HoldsAsync(async () => await StageAsync(remote, 5, "perSecond") > 0, TimeSpan.FromSeconds(30), "an output rate");
        using (var json = JsonDocument.Parse((await CtlAsync(remote, "pipeline", "stats", "--json")).Out))
        {
            var stages = json.RootElement.GetProperty("stages").EnumerateArray().ToList();
            Assert.Equal(["clean and enrich", "profile update", "labels", "score", "decide", "output"], stages.Select(s => s.GetProperty("stage").GetString()));
            var passed = stages.Select(s => s.GetProperty("passed").GetInt64()).ToList();
            Assert.Equal(passed.OrderDescending(), passed);
            Assert.True(json.RootElement.GetProperty("read").GetInt64() >= passed[0]);
            Assert.All(stages, s => Assert.True(s.GetProperty("inFlight").GetInt64() >= 0));
        }

        await Eventually.HoldsAsync(async () => (await CtlAsync(remote, "profile", "get", RunningNode.SomeUser)).Exit == 0, TimeSpan.FromSeconds(30));
        var profile = await CtlAsync(remote, "profile", "get", RunningNode.SomeUser, "--json");
        Assert.Equal(0, profile.Exit);
        using (var json = JsonDocument.Parse(profile.Out))
            Assert.True(json.RootElement.GetProperty("features").GetProperty("profileVersion").GetInt64() > 0);
        var table = await CtlAsync(remote, "profile", "get", RunningNode.SomeUser);
        Assert.Matches(@"(?m)^features\.profileVersion\s+[1-9]", table.Out);

        var cluster = await CtlAsync(remote, "cluster", "show", "--json");
        Assert.Equal(0, cluster.Exit);
        using (var json = JsonDocument.Parse(cluster.Out))
            Assert.Equal("Up", json.RootElement.GetProperty("members")[0].GetProperty("status").GetString());
        var sharding = await CtlAsync(remote, "sharding", "stats");
        Assert.Equal(0, sharding.Exit);
        Assert.Matches(@"(?m)^regions\[0\]\.entities\s+[1-9]", sharding.Out);
        var regions = await CtlAsync(remote, "sharding", "regions");
        Assert.Equal(0, regions.Exit);
        Assert.Matches(@"(?m)^regions\[0\]\.shards\[0\]\.shard\s+\d+", regions.Out);

        // Steering the cluster: a member that is not one, an address that is not one, and a join of the node's own cluster.
        string self;
        using (var json = JsonDocument.Parse(cluster.Out))
            self = json.RootElement.GetProperty("self").GetString()!;
        var notMember = await CtlAsync(remote, "cluster", "down", "akka.tcp://profile-pipeline@127.0.0.1:1");
        Assert.Equal(CtlException.NotFound, notMember.Exit);
        Assert.Contains("is not a member", notMember.Err);
        Assert.Contains(self, notMember.Err);
        var malformed = await CtlAsync(remote, "cluster", "leave", "node-two");
        Assert.Equal(CtlException.Usage, malformed.Exit);
        Assert.Contains("not an Akka address", malformed.Err);
        Assert.Equal(0, (await CtlAsync(remote, "cluster", "join", self)).Exit);
        Assert.Matches(@"(?m)^members\[0\]\.status\s+Up", (await CtlAsync(remote, "cluster", "show")).Out);

        // Paused, the node takes no new record; resumed, it goes on.
        Assert.Equal(0, (await CtlAsync(remote, "pipeline", "pause")).Exit);
        await Eventually.HoldsAsync(async () => await ReadTwiceEqualAsync(remote), TimeSpan.FromSeconds(20), "reads to stop while paused");
        Assert.Matches(@"(?m)^paused\s+True\s*$", (await CtlAsync(remote, "pipeline", "stats")).Out);
        var pausedAt = await ReadAsync(remote);
        Assert.Equal(0, (await CtlAsync(remote, "pipeline", "resume")).Exit);
        await Eventually.HoldsAsync(async () => await ReadAsync(remote) > pausedAt, TimeSpan.FromSeconds(20), "reads to go on after resume");

        var metrics = await CtlAsync(remote, "metrics");
        Assert.Contains("profilepipeline_records_read_total", metrics.Out);
        Assert.Matches(@"(?m)^profilepipeline_entity_update_seconds_count [1-9]", metrics.Out); // persistence latency
        Assert.Matches(@"(?m)^profilepipeline_entities\{region=""[^""]+""\} [1-9]", metrics.Out);
        Assert.Matches(@"(?m)^profilepipeline_stage_passed_total\{stage=""output""\} [1-9]", metrics.Out);
        Assert.Contains("profilepipeline_stage_in_flight{stage=\"profile update\"}", metrics.Out);

        var unknown = await CtlAsync(remote, "profile", "get", "nobody-at-all");
        Assert.Equal(CtlException.NotFound, unknown.Exit);
        Assert.Contains("unknown user nobody-at-all", unknown.Err);

        var wrongToken = await CtlAsync(new Dictionary<string, string>(remote) { [ProfileCtl.TokenVariable] = "wrong" }, "pipeline", "stats");
        Assert.Equal(CtlException.Refused, wrongToken.Exit);
        Assert.Contains("refused the token", wrongToken.Err);

        var closedPort = FreePort();
        var unreachable = await CtlAsync(new Dictionary<string, string>(remote) { [ProfileCtl.NodeVariable] = $"127.0.0.1:{closedPort}" }, "pipeline", "stats");
        Assert.Equal(CtlException.Unreachable, unreachable.Exit);
        Assert.Contains("cannot reach the node", unreachable.Err);

        var noToken = await CtlAsync(new Dictionary<string, string> { [ProfileCtl.NodeVariable] = "127.0.0.1:1" }, "pipeline", "stats");
        Assert.Equal(CtlException.Usage, noToken.Exit);
        Assert.Contains(ProfileCtl.TokenVariable, noToken.Err);
    }

    [Fact]
    public async Task Profilectl_shows_the_learned_model_its_history_rolls_it_back_and_explains_a_score()
    {
        await using var node = await RunningNode.StartAsync();
        var remote = new Dictionary<string, string> { [ProfileCtl.NodeVariable] = $"{node.Url.Host}:{node.Url.Port}", [ProfileCtl.TokenVariable] = node.Token };

        await Eventually.HoldsAsync(async () => await ServingAsync(remote) is { } v && v.StartsWith("online-v", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), "a learned version to be promoted");
        var show = await CtlAsync(remote, "model", "show");
        Assert.Equal(0, show.Exit);
        Assert.Matches(@"(?m)^metrics\.auc\s+0\.\d+", show.Out);
        Assert.Matches(@"(?m)^labelsSeen\s+[1-9]", show.Out);

        var history = await CtlAsync(remote, "model", "history", "--json");
        Assert.Equal(0, history.Exit);
        string first;
        using (var json = JsonDocument.Parse(history.Out))
        {
            var promoted = json.RootElement.GetProperty("promoted");
            Assert.True(promoted.GetArrayLength() >= 1);
            Assert.Equal("rules-v1", promoted[0].GetProperty("predecessor").GetString());
            first = promoted[0].GetProperty("version").GetString()!;
        }

        var rollback = await CtlAsync(remote, "model", "rollback", first);
        Assert.True(rollback.Exit == 0, rollback.Err);
        Assert.Matches($@"(?m)^serving\s+{first}\s*$", rollback.Out);
        // The learner goes on learning and may promote again at once, so the registry is what keeps the rollback.
        using (var json = JsonDocument.Parse((await CtlAsync(remote, "model", "history", "--json")).Out))
        {
            var rollbacks = json.RootElement.GetProperty("rollbacks");
            Assert.Equal(first, rollbacks[rollbacks.GetArrayLength() - 1].GetProperty("to").GetString());
        }
        Assert.Equal(CtlException.NotFound, (await CtlAsync(remote, "model", "rollback", "online-v99999")).Exit);
        Assert.Equal(CtlException.Usage, (await CtlAsync(remote, "model", "rollback", "latest")).Exit);

        var explain = await CtlAsync(remote, "profile", "explain", RunningNode.SomeUser, "--json");
        Assert.True(explain.Exit == 0, explain.Err);
        using (var json = JsonDocument.Parse(explain.Out))
        {
            var root = json.RootElement;
            var sum = root.GetProperty("bias").GetDouble() + root.GetProperty("contributions").EnumerateArray().Sum(c => c.GetProperty("contribution").GetDouble());
            Assert.Equal(root.GetProperty("logit").GetDouble(), sum, 9);
            Assert.Equal(root.GetProperty("score").GetDouble(), 1 / (1 + Math.Exp(-sum)), 6);
        }
        Assert.Matches(@"(?m)^contributions\[0\]\.feature\s+\w+", (await CtlAsync(remote, "profile", "explain", RunningNode.SomeUser)).Out);
    }

    [Fact]
    public async Task Profilectl_shows_a_users_history_and_replays_profiles_from_the_journal_with_a_progress_bar()
    {
        // The stream has 300 users: the segmentation trains once 100 of them are sampled.
        await using var node = await RunningNode.StartAsync("profile-pipeline.segments.min-samples = 100");
        var remote = new Dictionary<string, string> { [ProfileCtl.NodeVariable] = $"{node.Url.Host}:{node.Url.Port}", [ProfileCtl.TokenVariable] = node.Token };
        await Eventually.HoldsAsync(async () => (await CtlAsync(remote, "profile", "get", RunningNode.SomeUser)).Exit == 0, TimeSpan.FromSeconds(30));

        var history = await CtlAsync(remote, "profile", "history", RunningNode.SomeUser, "--last", "3", "--json");
        Assert.True(history.Exit == 0, history.Err);
        using (var json = JsonDocument.Parse(history.Out))
        {
            var entries = json.RootElement.GetProperty("entries");
            Assert.InRange(entries.GetArrayLength(), 1, 3);
            Assert.Equal(json.RootElement.GetProperty("journalEntries").GetInt64(), entries[entries.GetArrayLength() - 1].GetProperty("sequenceNr").GetInt64());
            Assert.All(entries.EnumerateArray().SelectMany(e => e.GetProperty("events").EnumerateArray()), e =>
            {
                Assert.True(DateTimeOffset.TryParse(e.GetProperty("time").GetString(), out _));
                Assert.Contains(e.GetProperty("type").GetString(), new[] { "view", "click", "search", "cart_add", "cart_remove", "favorite", "purchase" });
            });
        }
        var table = await CtlAsync(remote, "profile", "history", RunningNode.SomeUser);
        Assert.Matches(@"(?m)^entry\s+event time\s+type\s+item\s+category\s+brand\s+price$", table.Out);
        Assert.Matches(@"(?m)^\d+\s+20\d\d-\d\d-\d\dT\S+\s+(view|click|search|cart_add|cart_remove|favorite|purchase)\b", table.Out);
        var unknown = await CtlAsync(remote, "profile", "history", "nobody-at-all");
        Assert.Equal(CtlException.NotFound, unknown.Exit);
        Assert.Contains("unknown user nobody-at-all", unknown.Err);

        await Eventually.HoldsAsync(async () => (await CtlAsync(remote, "segments", "show")).Exit == 0, TimeSpan.FromSeconds(60), "a segmentation");
        var segments = await CtlAsync(remote, "segments", "show");
        Assert.Matches(@"(?m)^segments\[0\]\.id\s+s\d+\s*$", segments.Out);
        Assert.Matches(@"(?m)^segments\[0\]\.name\s+(frequent|regular|occasional) ", segments.Out);
        Assert.Matches(@"(?m)^segments\[0\]\.centroid\.events30d\s+\d", segments.Out);

        // Paused by the operator, so that only the replay writes to profiles.jsonl; the replay leaves it paused.
        Assert.Equal(0, (await CtlAsync(remote, "pipeline", "pause")).Exit);
        await Eventually.HoldsAsync(async () => await InFlightAsync(remote) == 0, TimeSpan.FromSeconds(20), "the records in flight to be published");
        var profiles = Path.Combine(node.DataDirectory, Streams.OutputFiles.ProfilesFile);
        var linesBefore = Lines(profiles).Count;

        var none = await CtlAsync(remote, "replay", "--from", "1990-01-01T00:00:00Z", "--to", "1990-12-31", "--json");
        Assert.True(none.Exit == 0, none.Err);
        using (var json = JsonDocument.Parse(none.Out))
        {
            var p = json.RootElement;
            Assert.True(p.GetProperty("total").GetInt64() > 0);
            Assert.Equal(p.GetProperty("total").GetInt64(), p.GetProperty("outOfRange").GetInt64());
            Assert.Equal(0, p.GetProperty("rebuilt").GetInt64());
        }
        Assert.Equal(linesBefore, Lines(profiles).Count);

        var replay = await CtlAsync(remote, "replay");
        Assert.True(replay.Exit == 0, replay.Err);
        Assert.Contains("replay [##############################] 100%", replay.Err);
        Assert.Matches(@"(?m)^state\s+completed\s*$", replay.Out);
        Assert.Matches(@"(?m)^changed\s+0\s*$", replay.Out); // the settings did not change: the same profiles
        Assert.Matches(@"(?m)^failed\s+0\s*$", replay.Out);
        Assert.Matches(@"(?m)^pausedIngestion\s+False\s*$", replay.Out);
        var status = await CtlAsync(remote, "replay", "status", "--json");
        long rebuilt;
        using (var json = JsonDocument.Parse(status.Out))
        {
            var p = json.RootElement;
            rebuilt = p.GetProperty("rebuilt").GetInt64();
            Assert.Equal(p.GetProperty("total").GetInt64(), rebuilt);
            Assert.Equal(rebuilt, p.GetProperty("published").GetInt64());
        }

        // Every rebuilt profile was published again, and each user's republished profile is the one the entity holds.
        var republished = Lines(profiles).Skip(linesBefore).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(rebuilt, republished.Count);
        Assert.Equal(rebuilt, republished.Select(p => p.GetProperty("userId").GetString()).Distinct().Count());
        using (var live = JsonDocument.Parse((await CtlAsync(remote, "profile", "get", RunningNode.SomeUser, "--json")).Out))
        {
            var id = live.RootElement.GetProperty("userId").GetString();
            Assert.Equal(live.RootElement.GetProperty("features").GetProperty("profileVersion").GetInt64(),
                republished.Single(p => p.GetProperty("userId").GetString() == id).GetProperty("profileVersion").GetInt64());
        }

        var badTime = await CtlAsync(remote, "replay", "--from", "yesterday-ish");
        Assert.Equal(CtlException.Usage, badTime.Exit);
        Assert.Contains("is not a time", badTime.Err);

        // Stopping a paused node drains it (it used to wait for the gate forever).
        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static List<string> Lines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return lines;
    }

    private static async Task<long> InFlightAsync(IReadOnlyDictionary<string, string> environment)
    {
        using var stats = JsonDocument.Parse((await CtlAsync(environment, "pipeline", "stats", "--json")).Out);
        return stats.RootElement.GetProperty("read").GetInt64() - stats.RootElement.GetProperty("completed").GetInt64();
    }

    private static async Task<string?> ServingAsync(IReadOnlyDictionary<string, string> environment)
    {
        var show = await CtlAsync(environment, "model", "show", "--json");
        if (show.Exit != 0)
            return null;
        using var json = JsonDocument.Parse(show.Out);
        return json.RootElement.GetProperty("serving").GetString();
    }

    private static async Task<double> StageAsync(IReadOnlyDictionary<string, string> environment, int stage, string field)
    {
        using var stats = JsonDocument.Parse((await CtlAsync(environment, "pipeline", "stats", "--json")).Out);
        return stats.RootElement.GetProperty("stages")[stage].GetProperty(field).GetDouble();
    }

    private static async Task<long> ReadAsync(IReadOnlyDictionary<string, string> environment)
    {
        using var stats = JsonDocument.Parse((await CtlAsync(environment, "pipeline", "stats", "--json")).Out);
        return stats.RootElement.GetProperty("read").GetInt64();
    }

    /// <summary>The read count, twice, half a second apart: equal once the source is held.</summary>
    private static async Task<bool> ReadTwiceEqualAsync(IReadOnlyDictionary<string, string> environment)
    {
        var before = await ReadAsync(environment);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        return await ReadAsync(environment) == before;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
