using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ProfilePipeline.Ctl;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Entities.Storage;
using ProfilePipeline.Testing;
using Xunit.Abstractions;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// A real three-node cluster on 127.0.0.1: three node processes joined by seed-node configuration, the journal on a
/// throwaway PostgreSQL 15 server, events from the Kafka mock cluster. One node is killed (SIGKILL) mid-stream; the
/// survivors take over its shards and partitions, and every profile ends equal to the ground truth.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class ThreeNodeClusterSpecs(KafkaBroker broker, ITestOutputHelper output) : IClassFixture<KafkaBroker>
{
    // 15,000 records per partition: the mock broker keeps only about the newest 17,000 of a partition.
    private static readonly GeneratorSettings Stream = new() { Events = 60_000, Users = 4_000, Seed = 3131, MalformedShare = 0.005, DuplicateShare = 0.01 };

    [SkippableFact]
    public async Task Three_nodes_share_the_work_and_when_one_is_killed_the_others_take_over_and_nothing_is_lost_or_counted_twice()
    {
        Skip.If(ThrowawayPostgres.FindBinaries() is null, "PostgreSQL server binaries (initdb, pg_ctl) are not installed");
        using var postgres = ThrowawayPostgres.Start();
        var run = new KafkaRun(broker);
        var records = run.ProduceGenerated(Stream);
        var truth = TestData.TruthOf(Stream, records);
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
        var nodes = new NodeProcess?[3];
        var dataDirectories = new string[3];
        try
        {
            for (var i = 0; i < 3; i++)
            {
                dataDirectories[i] = Path.Combine(run.Folder, $"node{i + 1}");
                Directory.CreateDirectory(dataDirectories[i]);
                var config = Path.Combine(run.Folder, $"node{i + 1}.conf");
                File.WriteAllText(config, File.ReadAllText(run.ConfigFile) + $$"""

                    akka.remote.dot-netty.tcp.port = {{ports[i]}}
                    akka.cluster.seed-nodes = ["akka.tcp://profile-pipeline@127.0.0.1:{{ports[0]}}"]
                    akka.cluster.split-brain-resolver.stable-after = 5s
                    profile-pipeline.storage.provider = postgresql
                    profile-pipeline.storage.postgresql-connection-string = "{{postgres.ConnectionString}}"
                    """);
                nodes[i] = NodeProcess.Start("run", "--kafka", broker.BootstrapServers, "--data-dir", dataDirectories[i], "--config", config,
                    "--catalogue", run.Catalogue, "--progress-seconds", "1");
            }

            // All three are members and every one holds shards.
            await Eventually.HoldsAsync(async () => await MembersUpAsync(dataDirectories[0]) == 3, TimeSpan.FromSeconds(90),
                "three members up: " + string.Join("\n---\n", nodes.Select(n => n!.Output)));
            var partitions = 4;
            var committed = new Sampler(() => broker.Committed(run.Group, run.Events, partitions).Values.Sum(v => Math.Max(0, v)));
            await Eventually.HoldsAsync(async () => await RegionsWithShardsAsync(dataDirectories[0]) == 3 && committed.Sample() > Stream.Events / 4,
                TimeSpan.FromSeconds(120), "shards on all three nodes and a quarter of the events committed");

            var beforeKill = committed.RateOver(TimeSpan.FromSeconds(3));
            var ends = broker.EndOffsets(run.Events, partitions);
            var killedAt = Stopwatch.StartNew();
            nodes[2]!.Kill();
            // Read after the kill: node3's partitions stay where it left them until a survivor takes them over.
            var atKill = broker.Committed(run.Group, run.Events, partitions);
            output.WriteLine($"killed node3 with {atKill.Values.Sum()} of {Stream.Events} committed");

            // Takeover: every partition that still had records at the kill moves on, and the survivors are the only members.
            await Eventually.HoldsAsync(() =>
            {
                var now = broker.Committed(run.Group, run.Events, partitions);
                return now.All(p => p.Value > atKill.GetValueOrDefault(p.Key) || atKill.GetValueOrDefault(p.Key) >= ends[p.Key]);
            }, TimeSpan.FromSeconds(120), "every partition to move on after the kill");
            var takeover = killedAt.Elapsed;
            var atTakeover = committed.Sample();
            await Eventually.HoldsAsync(async () => await MembersUpAsync(dataDirectories[0]) == 2, TimeSpan.FromSeconds(60), "node3 to be removed");
            var removed = killedAt.Elapsed;
            await Eventually.HoldsAsync(run.AllCommitted, TimeSpan.FromMinutes(4), "every event committed");
            var afterKill = (committed.Sample() - atTakeover) / Math.Max(0.001, (killedAt.Elapsed - takeover).TotalSeconds);
            Assert.Equal(2, await MembersUpAsync(dataDirectories[0]));
            output.WriteLine($"committed per partition at the kill: {string.Join(", ", atKill.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}/{ends[p.Key]}"))}");
            output.WriteLine($"every partition moving again {takeover.TotalSeconds:F1} s after the kill; node3 removed from the cluster after {removed.TotalSeconds:F1} s");
            output.WriteLine($"committed events/s: {beforeKill:F0} before the kill, {afterKill:F0} from the takeover to the end");

            foreach (var node in nodes.Take(2))
                node!.Terminate();
            foreach (var node in nodes.Take(2))
                Assert.Equal(0, await node!.WaitForExitAsync(TimeSpan.FromSeconds(60)));

            var latest = ProfileOutputs.LatestByKey(broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2)));
            var differences = ProfileOutputs.Differences(truth, latest);
            Assert.True(differences.Count == 0, $"{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");
        }
        finally
        {
            for (var i = 0; i < nodes.Length; i++)
            {
                var text = nodes[i]?.Output ?? "";
                output.WriteLine($"--- node{i + 1} ---\n{(text.Length > 6_000 ? text[^6_000..] : text)}");
            }
            foreach (var node in nodes)
                node?.Kill();
            foreach (var node in nodes)
                node?.Dispose();
        }
    }

    private static async Task<JsonElement?> QueryAsync(string dataDirectory, params string[] command)
    {
        var stdout = new StringWriter();
        var exit = await ProfileCtl.RunAsync([.. command, "--json", "--data-dir", dataDirectory], stdout, TextWriter.Null, _ => null);
        return exit == 0 ? JsonDocument.Parse(stdout.ToString()).RootElement.Clone() : null;
    }

    private static async Task<int> MembersUpAsync(string dataDirectory) =>
        await QueryAsync(dataDirectory, "cluster", "show") is { } cluster
            ? cluster.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "Up")
            : 0;

    private static async Task<int> RegionsWithShardsAsync(string dataDirectory) =>
        await QueryAsync(dataDirectory, "sharding", "stats") is { } stats
            ? stats.GetProperty("regions").EnumerateArray().Count(r => r.GetProperty("shards").GetInt32() > 0)
            : 0;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A counter read now, or its rate over a window.</summary>
    private sealed class Sampler(Func<long> read)
    {
        public long Sample() => read();

        /// <summary>Events per second over <paramref name="window"/>: a measurement, so it waits the window out.</summary>
        public double RateOver(TimeSpan window)
        {
            var first = read();
            var clock = Stopwatch.StartNew();
            Thread.Sleep(window);
            return (read() - first) / clock.Elapsed.TotalSeconds;
        }
    }
}
