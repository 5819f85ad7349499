using System.Diagnostics;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Microsoft.Data.Sqlite;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Entities;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Bench;

/// <summary>
/// Recovery on an existing store (the durable run's): node start to the first event processed, cold recovery
/// of single users (snapshot plus journal tail), and recovery of every stored user at once.
/// </summary>
public sealed class RecoveryProbe(BenchOptions options, TextWriter console, Pseudonymizer pseudonymizer, SideDataFiles sideData)
{
    public async Task<JsonObject> MeasureAsync(string store, Config config, RawBehavior firstRecord)
    {
        var users = StoredUsers(Path.Combine(store, "profiles.db"), out var journalRows, out var snapshots);
        var outputs = Path.Combine(store, "recovery-outputs");
        Directory.CreateDirectory(outputs);

        var started = Stopwatch.StartNew();
        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var metrics = new PipelineMetrics();
        var parts = GraphConfig.Parts(config, pseudonymizer, sideData.Current, node, metrics);
        using (var files = new OutputFiles(outputs, new CheckpointStore(Path.Combine(outputs, "checkpoint.json")), metrics, parts.Checkpoints))
        {
            var graph = GraphConfig.Graph(config);
            var (_, _, completion) = ProfileGraph.Create(RecordSources.From(() => [firstRecord]), parts, files.AsFlow(graph.OutputBatch, graph.OutputInterval, graph.CheckpointInterval), graph)
                .Run(node.System.Materializer());
            await completion.ConfigureAwait(false);
        }
        var startToFirstEvent = started.Elapsed;
        console.WriteLine($"  recovery: node start to first event processed on a store of {users.Count:N0} users: {startToFirstEvent.TotalMilliseconds:N0} ms");

        // Shards are allocated on first use; allocate them all first so that single-user timings are entity recovery only.
        await Task.WhenAll(Enumerable.Range(0, node.Settings.NumberOfShards * 4)
            .Select(i => node.Profiles.Ask<ProfileReply>(new GetProfile($"bench-warm-{i}"), TimeSpan.FromSeconds(30)))).ConfigureAwait(false);

        var sample = users.Take(options.RecoverySample).ToList();
        var single = new LatencyHistogram();
        foreach (var user in sample)
        {
            var timer = Stopwatch.StartNew();
            await node.Profiles.Ask<ProfileReply>(new GetProfile(user), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            single.Record(timer.Elapsed);
        }
        console.WriteLine($"  recovery: one cold user (snapshot + tail), {sample.Count:N0} users: p50 {BenchRunner.Ms(single.Quantile(0.5))} / p99 {BenchRunner.Ms(single.Quantile(0.99))} ms");

        var rest = users.Skip(sample.Count).ToList();
        var all = Stopwatch.StartNew();
        long eventsRecovered = 0;
        foreach (var chunk in rest.Chunk(1000)) // at most 1000 recoveries in flight
        {
            var replies = await Task.WhenAll(chunk.Select(u => node.Profiles.Ask<ProfileReply>(new GetProfile(u), TimeSpan.FromSeconds(60)))).ConfigureAwait(false);
            eventsRecovered += replies.Sum(r => r.Features?.ProfileVersion ?? 0);
        }
        all.Stop();
        var usersPerSecond = rest.Count / Math.Max(all.Elapsed.TotalSeconds, 1e-9);
        var eventsPerSecond = eventsRecovered / Math.Max(all.Elapsed.TotalSeconds, 1e-9);
        console.WriteLine($"  recovery: {rest.Count:N0} users at once in {all.Elapsed.TotalSeconds:F1} s: {usersPerSecond:N0} users/s, {eventsPerSecond:N0} profile events/s");
        return new JsonObject
        {
            ["storedUsers"] = users.Count,
            ["journalRows"] = journalRows,
            ["snapshots"] = snapshots,
            ["startToFirstEventMs"] = BenchRunner.Ms(startToFirstEvent),
            ["startToFirstEventMeasuredFrom"] = "actor system start inside the bench process (the runtime's own start, about 0.1-0.2 s, is not included)",
            ["perUser"] = new JsonObject { ["users"] = sample.Count, ["p50Ms"] = BenchRunner.Ms(single.Quantile(0.5)), ["p99Ms"] = BenchRunner.Ms(single.Quantile(0.99)), ["maxMs"] = BenchRunner.Ms(single.Max) },
            ["allUsers"] = new JsonObject
            {
                ["users"] = rest.Count,
                ["seconds"] = Math.Round(all.Elapsed.TotalSeconds, 2),
                ["usersPerSecond"] = Math.Round(usersPerSecond),
                ["eventsPerSecond"] = Math.Round(eventsPerSecond),
                ["eventsCountedAs"] = "events folded into the recovered profiles (snapshots stand for the events before them)",
            },
        };
    }

    /// <summary>The users in the store, in a random order (seeded by SQLite), with the table sizes.</summary>
    private static List<string> StoredUsers(string database, out long journalRows, out long snapshots)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        // Users' profiles only: the journal also holds the singletons and the partitions' inactivity-timer indexes.
        journalRows = Scalar(connection, "SELECT COUNT(*) FROM journal WHERE persistence_id LIKE 'profile-%'");
        snapshots = Scalar(connection, "SELECT COUNT(*) FROM snapshot WHERE persistence_id LIKE 'profile-%'");
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT persistence_id FROM journal WHERE persistence_id LIKE 'profile-%' ORDER BY random()";
        using var reader = command.ExecuteReader();
        var users = new List<string>();
        while (reader.Read())
            users.Add(reader.GetString(0)["profile-".Length..]);
        return users;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
