using System.Text;
using System.Text.Json;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Node;
using ProfilePipeline.Testing;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// The pipeline on Kafka: a Kafka-protocol broker on 127.0.0.1 (librdkafka's mock cluster, or the broker named by
/// KAFKA_BOOTSTRAP_SERVERS), events in, scored profiles and dead letters out, offsets committed.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class KafkaPipelineSpecs(KafkaBroker broker) : IClassFixture<KafkaBroker>
{
    private static readonly GeneratorSettings Stream = new()
    {
        Events = 30_000, Users = 2_000, Seed = 4242, MalformedShare = 0.01, DuplicateShare = 0.02,
    };

    /// <summary>
    /// Runs the node in process against the broker until the group has committed every event, then drains it;
    /// <paramref name="console"/> gets what the node prints (the consumer's assignments and revocations among it).
    /// </summary>
    internal static async Task<RunSummary> RunUntilCommittedAsync(KafkaRun run, TimeSpan timeout, TextWriter? console = null)
    {
        using var drain = new CancellationTokenSource();
        var running = new PipelineRunner(new RunOptions
        {
            Kafka = run.Broker.BootstrapServers,
            Follow = true,
            DataDirectory = run.DataDirectory,
            ConfigFile = run.ConfigFile,
            Catalogue = File.Exists(run.Catalogue) ? run.Catalogue : null,
            ProgressInterval = TimeSpan.FromSeconds(5),
        }, console ?? TextWriter.Null).RunAsync(drain.Token);
        await Eventually.HoldsAsync(() => run.AllCommitted() || running.IsCompleted, timeout, "every event committed");
        Assert.True(run.AllCommitted(), "every event was committed in time");
        await drain.CancelAsync();
        return await running.WaitAsync(TimeSpan.FromSeconds(60));
    }


    [Fact]
    public async Task Consumed_events_are_published_as_one_keyed_profile_record_per_update_and_every_offset_is_committed()
    {
        var run = new KafkaRun(broker);
        var records = run.ProduceGenerated(Stream);
        var truth = TestData.TruthOf(Stream, records);

        var printed = new StringWriter();
        var summary = await RunUntilCommittedAsync(run, TimeSpan.FromMinutes(3), TextWriter.Synchronized(printed));

        Assert.True(summary.Drained);
        // Each record is read once, unless the consumer gave a partition up (a rebalance, as under a loaded CI machine):
        // then the records after its last commit are read again (at least once), and the outputs below must still be exact.
        var consumerLog = printed.ToString();
        if (consumerLog.Contains("kafka consumer: revoked", StringComparison.Ordinal))
            Assert.True(summary.Read >= Stream.Events, $"read {summary.Read:N0} of {Stream.Events:N0} records; the node printed:\n{consumerLog}");
        else
            Assert.True(summary.Read == Stream.Events, $"read {summary.Read:N0} of {Stream.Events:N0} records with no partition given up; the node printed:\n{consumerLog}");
        var profiles = broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2));
        var inactiveFlags = profiles.Count(p => JsonDocument.Parse(p.Message.Value!).RootElement.GetProperty("inactiveSinceMs").ValueKind == JsonValueKind.Number);
        Assert.Equal(summary.ProfilesWritten, profiles.Count); // updates and flags of users found inactive
        Assert.True(inactiveFlags > 0, "users who went quiet are flagged on the profile topic");
        // The consumer hands records on partition by partition, a fetch's worth at a time: a partition read ahead of the
        // others must not move the watermark past records of theirs still to come (a user flagged whose events are
        // there, a decision point too late to label).
        DecisionChecks.FlagsAreRight(truth, [.. profiles.Select(p => JsonDocument.Parse(p.Message.Value!).RootElement)]);
        var unlabelled = System.Text.RegularExpressions.Regex.Match(consumerLog, @"([\d,]+) unlabelled");
        Assert.True(unlabelled.Success && unlabelled.Groups[1].Value == "0", consumerLog);
        var differences = ProfileOutputs.Differences(truth, ProfileOutputs.LatestByKey(profiles));
        Assert.True(differences.Count == 0, $"{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");
        var deadLetters = broker.ReadUntilIdle(run.DeadLetters, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
        Assert.Equal(truth.MalformedOffsets.Count, deadLetters.Count);

        // Actions go to their own topic, keyed by user, the action in a header for routing without parsing.
        var actions = broker.ReadUntilIdle(run.Actions, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
        Assert.NotEmpty(actions);
        Assert.All(actions, a =>
        {
            using var json = JsonDocument.Parse(a.Message.Value!);
            Assert.Equal(json.RootElement.GetProperty("userId").GetString(), Encoding.UTF8.GetString(a.Message.Key!));
            Assert.Equal(json.RootElement.GetProperty("action").GetString(), Header(a, "action"));
        });
    }

    [Fact]
    public async Task Poison_records_land_in_dead_letters_with_reason_and_coordinates_and_the_pipeline_keeps_going()
    {
        var run = new KafkaRun(broker);
        var valid = "{\"eventId\":\"ok-1\",\"userId\":\"alice\",\"type\":\"view\",\"timestamp\":1767225600000,\"itemId\":\"i1\"}";
        var huge = "{\"userId\":\"alice\",\"type\":\"view\",\"timestamp\":1767225600000,\"query\":\"" + new string('q', 200_000) + "\"}";
        (string? Key, byte[]? Value)[] poison =
        [
            ("alice", Encoding.UTF8.GetBytes("this is not json")),
            ("alice", Encoding.UTF8.GetBytes("{\"user\":\"alice\",\"kind\":\"view\"}")),
            ("alice", Encoding.UTF8.GetBytes(huge)),
            ("alice", [0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x7D]),
            ("alice", null),
            ("alice", Encoding.UTF8.GetBytes(valid)),
        ];
        broker.Produce(run.Events, poison);

        var summary = await RunUntilCommittedAsync(run, TimeSpan.FromMinutes(2));

        Assert.Equal(1, summary.Applied);
        var deadLetters = broker.ReadUntilIdle(run.DeadLetters, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
        var reasons = deadLetters.OrderBy(d => d.Offset.Value).Select(d => Header(d, "reason")).ToList();
        Assert.Equal(5, deadLetters.Count);
        Assert.Equivalent(new[] { "unreadable", "missing_field", "too_large", "unreadable", "unreadable" }, reasons);
        Assert.All(deadLetters, d =>
        {
            Assert.Equal(run.Events, Header(d, "source-topic"));
            Assert.NotNull(Header(d, "source-partition"));
            Assert.NotNull(Header(d, "kafka-offset"));
        });
        Assert.Single(broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Erasing_a_user_publishes_a_tombstone_and_a_replay_of_their_events_publishes_nothing_more()
    {
        var run = new KafkaRun(broker);
        static string Event(string user, int i) =>
            $"{{\"eventId\":\"{user}-{i}\",\"userId\":\"{user}\",\"type\":\"view\",\"timestamp\":{1767225600000L + i * 60_000},\"itemId\":\"i{i}\"}}";
        (string? Key, byte[]? Value)[] history =
            [.. Enumerable.Range(0, 3).SelectMany(i => new[] { ("alice", Encoding.UTF8.GetBytes(Event("alice", i))), ("bob", Encoding.UTF8.GetBytes(Event("bob", i))) })
                .Select(r => ((string?)r.Item1, (byte[]?)r.Item2))];
        broker.Produce(run.Events, history);
        var alice = new Domain.Privacy.Pseudonymizer(NodeConfig.DefaultPseudonymKey).Pseudonymize("alice");
        using var drain = new CancellationTokenSource();
        var running = new PipelineRunner(new RunOptions
        {
            Kafka = run.Broker.BootstrapServers, Follow = true, DataDirectory = run.DataDirectory, ConfigFile = run.ConfigFile,
            ProgressInterval = TimeSpan.FromSeconds(5),
        }, TextWriter.Null).RunAsync(drain.Token);
        await Eventually.HoldsAsync(() => run.AllCommitted() || running.IsCompleted, TimeSpan.FromMinutes(2), "the history committed");
        await Eventually.HoldsAsync(() => File.Exists(Path.Combine(run.DataDirectory, "admin.json")), TimeSpan.FromSeconds(30), "the admin endpoint");

        var stats = new StringWriter();
        Assert.Equal(0, await Ctl.ProfileCtl.RunAsync(["pipeline", "stats", "--json", "--data-dir", run.DataDirectory], stats, TextWriter.Null, _ => null));
        using (var json = JsonDocument.Parse(stats.ToString()))
            Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("consumerLag").ValueKind); // lag per assigned partition

        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await Ctl.ProfileCtl.RunAsync(["profile", "erase", "alice", "--yes", "--json", "--data-dir", run.DataDirectory], output, error, _ => null);
        Assert.True(exit == 0, error.ToString());
        using (var report = JsonDocument.Parse(output.ToString()))
            Assert.True(report.RootElement.GetProperty("tombstonePublished").GetBoolean());

        broker.Produce(run.Events, history); // the same events again: a replay of old input
        await Eventually.HoldsAsync(() => run.AllCommitted(), TimeSpan.FromMinutes(2), "the replay committed");
        await drain.CancelAsync();
        var summary = await running.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(6, summary.Applied); // the history; in the replay alice's events are refused and bob's are duplicates
        var profiles = broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
        var ofAlice = profiles.Where(p => p.Message.Key is { } key && Encoding.UTF8.GetString(key) == alice).OrderBy(p => p.Offset.Value).ToList();
        Assert.NotEmpty(ofAlice);
        Assert.Null(ofAlice[^1].Message.Value); // the tombstone is the last word on alice
        Assert.Single(ofAlice, p => p.Message.Value is null);
    }

    private static string? Header(Confluent.Kafka.ConsumeResult<byte[]?, byte[]?> record, string key) =>
        record.Message.Headers?.TryGetLastBytes(key, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;
}
