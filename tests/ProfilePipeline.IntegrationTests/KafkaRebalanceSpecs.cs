using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Enrichment;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;
using ProfilePipeline.Kafka;
using ProfilePipeline.Node;
using ProfilePipeline.Streams;
using ProfilePipeline.Testing;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// A second consumer joins the group mid-stream, on the same node and entities: partitions move between the two
/// graphs; records in flight on the old owner are redelivered to the new one and recognised by the entities.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class KafkaRebalanceSpecs(KafkaBroker broker) : IClassFixture<KafkaBroker>
{
    private static readonly GeneratorSettings Stream = new() { Events = 40_000, Users = 2_500, Seed = 515, MalformedShare = 0.01, DuplicateShare = 0.02 };

    [Fact]
    public async Task A_consumer_joining_mid_stream_loses_no_event_and_counts_none_twice()
    {
        // A day's horizon and a long lateness keep many decision points open when the partitions move (the generated
        // stream spans weeks in event time), so that there are open points to hand over whenever the second one joins.
        var run = new KafkaRun(broker, "profile-pipeline.learning { horizon = 1d, label-lateness = 30d }");
        // Small producer batches, small fetches and a short prefetch queue, so that a consumer reads its partitions in
        // turn, a few hundred records each. With the defaults the consumer prefetched whole partitions far ahead of this
        // throttled stream and handed them on in the order fetched: the second joined with two partitions read to their
        // end (their open points handed over, and restored by nobody, as no record of them came again) or with two
        // partitions not read at all (no open point to hand over).
        var records = run.ProduceGenerated(Stream, recordsPerBatch: 200);
        var truth = TestData.TruthOf(Stream, records);
        await using var consumers = await LabellingConsumers.StartNodeAsync(broker, run, consumer => consumer.WithProperty("max.partition.fetch.bytes", "16384")
            .WithProperty("queued.min.messages", "200").WithProperty("queued.max.messages.kbytes", "64"));
        var labels = consumers.Labels;

        // What each consumer was assigned and gave up, generation by generation: printed with a failure, as the group's timing varies.
        var consumerLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var started = 0;

        (IKafkaControl Control, Task Completion, PipelineMetrics Metrics) Start()
        {
            var name = $"consumer {Interlocked.Increment(ref started)}";
            // Held to 2,000 records/s each, so that the second consumer joins while the first still has most of the topic.
            return consumers.Start(line => consumerLog.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {name}: {line}"),
                records => records.Throttle(2_000, TimeSpan.FromSeconds(1), 200, ThrottleMode.Shaping));
        }

        var first = Start();
        // The second joins once the first has read a few hundred records of every partition (all four committed: the
        // broker lists only partitions with a commit), so that each partition it takes over has open decision points (a
        // day's horizon and 30 days' lateness release none meanwhile).
        await Eventually.HoldsAsync(() => first.Metrics.Completed > 5_000 && broker.Committed(run.Group, run.Events, 4) is { Count: 4 } committed && committed.Values.All(offset => offset >= 300),
            TimeSpan.FromSeconds(90));
        var committedAtJoin = string.Join(", ", broker.Committed(run.Group, run.Events, 4).OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"));
        var second = Start();
        await Eventually.HoldsAsync(() => second.Metrics.Completed > 0, TimeSpan.FromSeconds(90));
        await Eventually.HoldsAsync(run.AllCommitted, TimeSpan.FromMinutes(3));
        await Task.WhenAll(first.Control.DrainAndShutdownAsync(first.Completion), second.Control.DrainAndShutdownAsync(second.Completion))
            .WaitAsync(TimeSpan.FromSeconds(60));
        consumers.FlushOutputs();

        Assert.True(first.Metrics.Completed < Stream.Events, "the first consumer gave partitions away");
        Assert.Contains(consumerLog, line => line.Contains("consumer 2: kafka consumer: assigned"));
        var latest = ProfileOutputs.LatestByKey(broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2)));
        var differences = ProfileOutputs.Differences(truth, latest);
        Assert.True(differences.Count == 0, $"{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");
        Assert.Equal(truth.Profiles.Values.Sum(p => p.Version), first.Metrics.Applied + second.Metrics.Applied);

        // The first consumer let go of the open decision points of the partitions it gave up, and their new owner labelled
        // them: no point is labelled by both with different labels, and none is lost (labelled once, or still open).
        var counts = $"taken {first.Metrics.DecisionPoints} + {second.Metrics.DecisionPoints}, labelled {labels.Labelled.Count} (repeats {labels.Repeats}), "
            + $"open {first.Metrics.OpenDecisionPoints} + {second.Metrics.OpenDecisionPoints}, handed over {first.Metrics.DecisionPointsHandedOver} + {second.Metrics.DecisionPointsHandedOver}, "
            + $"restored {first.Metrics.DecisionPointsRestored} + {second.Metrics.DecisionPointsRestored}, released {first.Metrics.LabelsReleased} + {second.Metrics.LabelsReleased}, "
            + $"unlabelled {first.Metrics.DecisionPointsUnlabelled} + {second.Metrics.DecisionPointsUnlabelled}, redelivered {first.Metrics.Redelivered} + {second.Metrics.Redelivered}"
            + $"\noffsets committed when the second joined: {committedAtJoin}"
            + $"\nthe consumers' assignments and revocations:\n{string.Join("\n", consumerLog.Where(line => line.Contains("assigned") || line.Contains("revoked")))}";
        Assert.True(first.Metrics.DecisionPointsHandedOver > 0 && second.Metrics.DecisionPointsRestored > 0, "open points handed over: " + counts);
        Assert.True(labels.Conflicts.IsEmpty, $"{labels.Conflicts.Count} points labelled both ways, first: {string.Join(", ", labels.Conflicts.Take(5))}; {counts}");
        var taken = first.Metrics.DecisionPoints + second.Metrics.DecisionPoints;
        // Each point taken is labelled, or open on one node only; a record read again (its commit was cut by the rebalance)
        // gives its point again, and it is labelled again, the same way (the learner takes it once).
        Assert.True(taken == labels.Labelled.Count + labels.Repeats + first.Metrics.OpenDecisionPoints + second.Metrics.OpenDecisionPoints, counts);
    }

    [Fact]
    public async Task A_partition_taken_over_at_its_end_has_its_open_points_labelled_by_its_new_owner()
    {
        // A day's horizon and an hour's lateness: when the first consumer has read everything, the points of the stream's
        // last day or so are still open, on every partition.
        var run = new KafkaRun(broker, "profile-pipeline.learning { horizon = 1d, label-lateness = 1h }");
        var early = new GeneratorSettings { Events = 6_000, Users = 600, Seed = 516, MalformedShare = 0, DuplicateShare = 0, Horizon = TimeSpan.FromDays(10) };
        run.ProduceGenerated(early);
        await using var consumers = await LabellingConsumers.StartNodeAsync(broker, run);
        var labels = consumers.Labels;
        var quiet = PartitionAssignments.InputName(run.Events, 3);

        Task<List<OpenDecisionPoint>> OpenOnQuietAsync() => AskPolicy.Default.AskPagesAsync<PartitionDecisionPoints, OpenDecisionPoint>(consumers.PointIndex,
            after => new GetDecisionPoints(quiet, after), page => (page.Points, page.Next), () => { });

        var first = consumers.Start();
        await Eventually.HoldsAsync(run.AllCommitted, TimeSpan.FromMinutes(2));
        await first.Control.DrainAndShutdownAsync(first.Completion).WaitAsync(TimeSpan.FromSeconds(60));
        var open = await OpenOnQuietAsync();
        Assert.True(open.Count > 0, $"the first consumer left no open point on {quiet} (open on all: {first.Metrics.OpenDecisionPoints})");

        // Later records (two days past the first ones' end), only of users whose records went to the other partitions: the
        // second consumer takes over the quiet partition at its end, and no record of it comes by.
        var partitionOf = broker.ReadUntilIdle(run.Events, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1))
            .Where(r => r.Message.Key is not null)
            .GroupBy(r => Encoding.UTF8.GetString(r.Message.Key!))
            .ToDictionary(g => g.Key, g => g.First().Partition.Value);
        var later = new BehaviorGenerator(early with { Seed = 517, Start = early.Start + early.Horizon + TimeSpan.FromDays(2) }).Generate()
            .Select(r => (User: KafkaRun.UserOf(r.Line), r.Line))
            .Where(r => r.User is not null && partitionOf.GetValueOrDefault(r.User, 3) != 3)
            .Select(r => (r.User, (byte[]?)Encoding.UTF8.GetBytes(r.Line)))
            .ToList();
        var half = later.Count / 2;
        broker.Produce(run.Events, later.Take(half));
        var second = consumers.Start();
        await Eventually.HoldsAsync(() => second.Metrics.Completed >= half, TimeSpan.FromMinutes(1));
        // More, later still, once the second has read the first half: they move the watermark whenever the quiet partition's points were loaded.
        broker.Produce(run.Events, later.Skip(half));
        var labelledAll = true;
        try
        {
            await Eventually.HoldsAsync(() => open.All(o => labels.Labelled.ContainsKey(o.Point.EventId)), TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            labelledAll = false; // reported with the counts below
        }
        await Eventually.HoldsAsync(run.AllCommitted, TimeSpan.FromMinutes(1));
        await second.Control.DrainAndShutdownAsync(second.Completion).WaitAsync(TimeSpan.FromSeconds(60));

        var counts = $"{open.Count} open on {quiet} when the first stopped, {open.Count(o => labels.Labelled.ContainsKey(o.Point.EventId))} of them labelled; "
            + $"the second: restored {second.Metrics.DecisionPointsRestored}, released {second.Metrics.LabelsReleased}, open {second.Metrics.OpenDecisionPoints}, "
            + $"read {second.Metrics.Completed} of {later.Count}";
        Assert.True(labelledAll, counts);
        Assert.True(labels.Conflicts.IsEmpty, $"{labels.Conflicts.Count} points labelled both ways; {counts}");
        Assert.DoesNotContain(open, o => o.Purchased && !labels.Labelled[o.Point.EventId]); // a purchase the first consumer saw still counts
        var left = await OpenOnQuietAsync();
        var labelledIds = open.Select(o => o.Point.EventId).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(left, o => labelledIds.Contains(o.Point.EventId)); // closed in the index once the learner held them
    }

    /// <summary>
    /// One node reading a run's topic with the shipped config: consumers of the group, each a whole graph with the label
    /// stage on the node's durable point index, and one sink that records the labels they all release.
    /// </summary>
    private sealed class LabellingConsumers(KafkaRun run, KafkaConfig kafka, ProfileGraphSettings graph, ClusterNode node, SideData sideData,
        DecisionPointSettings points) : IAsyncDisposable
    {
        private readonly Pseudonymizer _pseudonymizer = new(NodeConfig.DefaultPseudonymKey);
        private readonly IMaterializer _materializer = node.System.Materializer();
        private readonly Confluent.Kafka.IProducer<byte[]?, byte[]?> _producer = KafkaProducer.Create(kafka.Producer);

        public RecordingLabelSink Labels { get; } = new();

        public Akka.Actor.IActorRef PointIndex => node.DecisionPointIndex!;

        /// <param name="tune">Changes to the shipped consumer settings.</param>
        public static async Task<LabellingConsumers> StartNodeAsync(KafkaBroker broker, KafkaRun run, Func<KafkaConsumerSettings, KafkaConsumerSettings>? tune = null)
        {
            var config = NodeConfig.Load(run.ConfigFile, run.DataDirectory);
            var kafka = KafkaConfig.From(config, broker.BootstrapServers);
            kafka = kafka with { Consumer = tune?.Invoke(kafka.Consumer) ?? kafka.Consumer };
            var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30));
            var points = node.Settings.DecisionPoints ?? throw new InvalidOperationException("learning is on in the shipped config");
            return new LabellingConsumers(run, kafka, GraphConfig.Graph(config), node, new SideData(ItemCatalogue.LoadCsv(run.Catalogue), UserDirectory.Empty), points);
        }

        /// <summary>A consumer joining the group; <paramref name="shape"/> may pace its records.</summary>
        public (IKafkaControl Control, Task Completion, PipelineMetrics Metrics) Start(Action<string>? log = null,
            Func<Source<PipelineItem, Akka.NotUsed>, Source<PipelineItem, Akka.NotUsed>>? shape = null)
        {
            var metrics = new PipelineMetrics();
            var (control, records) = KafkaRecordSource.Create(kafka.Consumer, 65_536, log).PreMaterialize(_materializer);
            var parts = new ProfileGraphParts(
                new BehaviorCleaner(_pseudonymizer, CleanerSettings.Default, () => DateTimeOffset.UtcNow), sideData, node.Profiles,
                new ProfileScorer(ScoringSettings.Default), new ModelHolder(RuleBasedPropensityModel.Instance), metrics)
            {
                Labels = new LabelSettings(points, 1_000_000, Labels, PointIndex),
                Assignments = control.Assignments,
            };
            var outputs = KafkaOutputs.Create(kafka.Producer, _producer, new KafkaTopics(run.Events, run.Profiles, run.DeadLetters),
                control, metrics, kafka.CommitBatch, kafka.CommitInterval, parts.Checkpoints);
            var (_, _, completion) = ProfileGraph.Create(shape?.Invoke(records) ?? records, parts, outputs, graph).Run(_materializer);
            return (control, completion, metrics);
        }

        /// <summary>Waits until the outputs the consumers produced are delivered to the broker.</summary>
        public void FlushOutputs() => _producer.Flush(TimeSpan.FromSeconds(30));

        public async ValueTask DisposeAsync()
        {
            _producer.Dispose();
            await node.DisposeAsync();
        }
    }

    /// <summary>
    /// Stands in for the learner singleton at the label sink (the learner itself is tested on its own): records every
    /// label the two consumers release, as the learner would receive them.
    /// </summary>
    private sealed class RecordingLabelSink : ILabelSink
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, bool> Labelled { get; } = new(StringComparer.Ordinal);
        public System.Collections.Concurrent.ConcurrentBag<string> Conflicts { get; } = [];
        private int _repeats;

        public int Repeats => Volatile.Read(ref _repeats);

        public Task DeliverAsync(IReadOnlyList<Domain.Learning.LabeledExample> labels)
        {
            foreach (var label in labels)
            {
                if (Labelled.TryAdd(label.Point.EventId, label.Purchased))
                    continue;
                Interlocked.Increment(ref _repeats);
                if (Labelled[label.Point.EventId] != label.Purchased)
                    Conflicts.Add(label.Point.EventId);
            }
            return Task.CompletedTask;
        }
    }
}
