using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Enrichment;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Kafka;
using ProfilePipeline.Node;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// A crash leaves the entities ahead of the checkpoint, and unevenly: one user's events past it were persisted before
/// the crash, another's were not. Read again from the checkpoint, the first user's records carry their profile as the
/// entity holds it, far ahead of the records read; the inactivity timers must not take that for the stream's progress,
/// or the second user is flagged inactive before their own events come again. (Found by CrashResumeSpecs, which kills
/// the node at random points and so meets this state only now and then; here it is built on purpose.) And a partition
/// taken over at its end, with no record of it to come: its users' timers must be armed all the same.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class InactivityAfterCrashSpecs
{
    private static readonly long Start = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    [Fact]
    public async Task A_profile_read_again_ahead_of_the_stream_does_not_flag_a_user_whose_events_are_still_to_come()
    {
        var folder = TestData.NewFolder("quiet-after-crash");
        // The shipped decisions (inactive after 3 days, 5 minutes' lateness), on the real entities and timer index (SQLite).
        var config = NodeConfig.Load(null, folder, "profile-pipeline.learning.enabled = off\nprofile-pipeline.segments.enabled = off");
        var pseudonymizer = new Pseudonymizer(NodeConfig.DefaultPseudonymKey);
        var sideData = new SideData(ItemCatalogue.Empty, UserDirectory.Empty);
        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30));
        var materializer = node.System.Materializer();
        var graph = GraphConfig.Graph(config);
        var parts = GraphConfig.Parts(config, pseudonymizer, sideData, node, new PipelineMetrics());
        Assert.NotNull(parts.Decisions);

        RawBehavior[] records =
        [
            Record(0, "quiet", Start),
            Record(1, "busy", Start + 60_000),
            Record(2, "quiet", Start + 29 * Day / 10), // persisted by no entity before the crash
            Record(3, "busy", Start + 4 * Day),        // persisted by its entity, then the crash
            Record(4, "busy", Start + 7 * Day),
        ];

        // Before the crash: records 0 and 1 all the way through (their timers are in the partition's durable index), and
        // record 3's event persisted by its entity, the crash coming before the decisions of its batch.
        await RunAsync(materializer, graph, parts, [records[0], records[1]]);
        await RunAsync(materializer, graph, parts with { Decisions = null }, [records[3]]);

        // After the restart from the checkpoint after record 0: records 1 to 4, each once the one before is out.
        var outputs = await RunAsync(materializer, graph, parts, records[1..]);

        var quiet = pseudonymizer.Pseudonymize("quiet");
        Assert.Equal([EventOutcome.Redelivered, EventOutcome.Applied, EventOutcome.Redelivered, EventOutcome.Applied], outputs.Select(o => o.Outcome));
        // Quiet from record 2's event on: flagged once record 4 moves the watermark past it plus 3 days, and not before.
        Assert.Equal(["1:", "2:", "3:", $"4:{quiet}@{Start + 29 * Day / 10}"],
            outputs.Select(o => $"{o.Input.Offset}:{string.Join(",", o.Inactive.Select(p => $"{p.Features.UserId}@{p.Features.AsOf}"))}"));
    }

    [Fact]
    public async Task A_user_of_a_partition_taken_over_at_its_end_is_flagged_without_a_record_of_the_partition()
    {
        var folder = TestData.NewFolder("quiet-partition");
        var config = NodeConfig.Load(null, folder, "profile-pipeline.learning.enabled = off\nprofile-pipeline.segments.enabled = off");
        var pseudonymizer = new Pseudonymizer(NodeConfig.DefaultPseudonymKey);
        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30));
        var materializer = node.System.Materializer();
        var graph = GraphConfig.Graph(config);
        var parts = GraphConfig.Parts(config, pseudonymizer, new SideData(ItemCatalogue.Empty, UserDirectory.Empty), node, new PipelineMetrics());
        const string quietPartition = "file:jsonl:quiet-partition", busyPartition = "file:jsonl:busy-partition";

        // One node reads the quiet partition: its user's timer is in the partition's durable index.
        await RunAsync(materializer, graph, parts, [Record(quietPartition, 0, "quiet", Start)]);

        // Its new owner (a rebalance, here told by hand as a Kafka consumer tells it) takes it over at its end, with
        // nothing to read in it, and reads the busy partition, whose records move the watermark past the quiet user's 3 days.
        var assignments = new PartitionAssignments();
        assignments.Add(PartitionChangeKind.Assigned, [quietPartition, busyPartition]);
        assignments.Add(PartitionChangeKind.NothingToRead, [quietPartition]);
        var outputs = await RunAsync(materializer, graph, parts with { Assignments = assignments },
            [Record(busyPartition, 0, "busy", Start + Day), Record(busyPartition, 1, "busy", Start + 4 * Day)]);

        var quiet = pseudonymizer.Pseudonymize("quiet");
        Assert.Equal(["0:", $"1:{quiet}@{Start}"], outputs.Select(o => $"{o.Input.Offset}:{string.Join(",", o.Inactive.Select(p => $"{p.Features.UserId}@{p.Features.AsOf}"))}"));
    }

    /// <summary>One graph run over the records, each given once the one before has come out (a batch of its own at every stage).</summary>
    private static async Task<List<PipelineItem>> RunAsync(IMaterializer materializer, ProfileGraphSettings graph, ProfileGraphParts runParts,
        IReadOnlyList<RawBehavior> input)
    {
        var seen = new ConcurrentQueue<PipelineItem>();
        var sink = Flow.Create<PipelineItem>().Select(item =>
        {
            seen.Enqueue(item);
            return 1;
        });
        var (queue, _, completion) = ProfileGraph.Create(Source.Queue<PipelineItem>(1, OverflowStrategy.Backpressure), runParts, sink, graph).Run(materializer);
        foreach (var raw in input)
        {
            var before = seen.Count;
            Assert.IsType<QueueOfferResult.Enqueued>(await queue.OfferAsync(new PipelineItem(raw.Position, Stopwatch.GetTimestamp()) { Raw = raw }));
            await Eventually.HoldsAsync(() => seen.Count > before, TimeSpan.FromSeconds(30), $"record {raw.Position.Offset} out of the graph");
        }
        queue.Complete();
        await completion.WaitAsync(TimeSpan.FromSeconds(30));
        return [.. seen];
    }

    private static RawBehavior Record(long offset, string user, long timestamp) => Record("file:jsonl:quiet-after-crash", offset, user, timestamp);

    private static RawBehavior Record(string partition, long offset, string user, long timestamp) =>
        new JsonLinesFormat().Read(new SourcePosition(partition, offset),
            $$"""{"eventId":"e{{offset}}","userId":"{{user}}","type":"view","timestamp":{{timestamp}},"itemId":"i1","categoryId":"c1","sessionId":"{{user}}-{{offset}}","device":"app"}""");
}
