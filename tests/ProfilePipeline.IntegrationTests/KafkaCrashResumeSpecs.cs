using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Testing;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// At-least-once delivery with effectively-once profiles: the node process consuming from Kafka is killed
/// (SIGKILL) at random points and restarted against the same broker and store; SIGTERM drains it once.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class KafkaCrashResumeSpecs(KafkaBroker broker) : IClassFixture<KafkaBroker>
{
    private static readonly GeneratorSettings Stream = new()
    {
        Events = 100_000, Users = 5_000, Seed = 99, MalformedShare = 0.01, DuplicateShare = 0.02,
    };

    [Fact]
    public async Task A_consumer_killed_at_random_points_and_restarted_ends_with_exactly_the_ground_truth()
    {
        // librdkafka's mock broker keeps about 5 MB per partition and drops the oldest records beyond that (a real broker keeps
        // them for the topic's retention, or compacts). This run's profile updates come close to that on the 4 partitions the
        // mock creates, so the inactivity flags (tested on Kafka by KafkaPipelineSpecs) are kept out of it.
        var run = new KafkaRun(broker, "profile-pipeline.decisions.inactive-after = 365d");
        var records = run.ProduceGenerated(Stream);
        var truth = TestData.TruthOf(Stream, records);
        var random = new Random(424242);
        var interruptions = new List<string>();

        for (var attempt = 0; attempt < 4 && !run.AllCommitted(); attempt++)
        {
            using var node = NodeProcess.Start(run.NodeArguments);
            var before = CommittedSum(run);
            await Eventually.HoldsAsync(() => CommittedSum(run) > before || node.HasExited, TimeSpan.FromSeconds(90));
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(50, 1000))); // the kill point
            if (attempt == 0)
            {
                node.Terminate();
                var exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.True(exit == 0, $"exit {exit}:\n{node.Output}");
                Assert.Contains("Drained on request", node.Output); // a Kafka run never ends by itself
                interruptions.Add($"SIGTERM after {CommittedSum(run)} committed");
            }
            else
            {
                node.Kill();
                interruptions.Add($"SIGKILL after {CommittedSum(run)} committed");
            }
        }

        using (var final = NodeProcess.Start(run.NodeArguments))
        {
            // Started (its first progress line) and caught up, then stopped the way an orchestrator stops it.
            await Eventually.HoldsAsync(() => final.Output.Contains("events/s", StringComparison.Ordinal) && run.AllCommitted(), TimeSpan.FromMinutes(3));
            final.Terminate();
            var exit = await final.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, $"exit {exit}:\n{final.Output}");
        }

        var latest = ProfileOutputs.LatestByKey(broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2)));
        var differences = ProfileOutputs.Differences(truth, latest);
        Assert.True(differences.Count == 0,
            $"{string.Join("; ", interruptions)}\n{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");
        // Dead letters are at-least-once too: the same record may be dead-lettered again after a kill, never lost.
        var deadLetters = broker.ReadUntilIdle(run.DeadLetters, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
        Assert.Equal(truth.MalformedOffsets.Count, deadLetters.Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Key!)).Distinct().Count());
        Assert.True(interruptions.Count(i => i.StartsWith("SIGKILL", StringComparison.Ordinal)) >= 2, string.Join("; ", interruptions));
    }

    private long CommittedSum(KafkaRun run) => broker.Committed(run.Group, run.Events, 4).Values.Sum();

}
