using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Enrichment;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;
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
        var run = new KafkaRun(broker);
        var records = run.ProduceGenerated(Stream);
        var truth = TestData.TruthOf(Stream, records);
        var config = NodeConfig.Load(run.ConfigFile, run.DataDirectory);
        var kafka = KafkaConfig.From(config, broker.BootstrapServers);
        var pseudonymizer = new Pseudonymizer(NodeConfig.DefaultPseudonymKey);
        var sideData = new SideData(ItemCatalogue.LoadCsv(run.Catalogue), UserDirectory.Empty);
        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30));
        var materializer = node.System.Materializer();
        using var producer = KafkaProducer.Create(kafka.Producer);
        var graph = GraphConfig.Graph(config);

        (IKafkaControl Control, Task Completion, PipelineMetrics Metrics) Start()
        {
            var metrics = new PipelineMetrics();
            var parts = new ProfileGraphParts(
                new BehaviorCleaner(pseudonymizer, CleanerSettings.Default, () => DateTimeOffset.UtcNow), sideData, node.Profiles,
                new ProfileScorer(ScoringSettings.Default), new ModelHolder(RuleBasedPropensityModel.Instance), metrics);
            var (control, records) = KafkaRecordSource.Create(kafka.Consumer, 65_536).PreMaterialize(materializer);
            // Held to 2,000 records/s each, so that the second consumer joins while the first still has most of the topic.
            var source = records.Throttle(2_000, TimeSpan.FromSeconds(1), 200, ThrottleMode.Shaping);
            var outputs = KafkaOutputs.Create(kafka.Producer, producer, new KafkaTopics(run.Events, run.Profiles, run.DeadLetters),
                control, metrics, kafka.CommitBatch, kafka.CommitInterval);
            var (_, _, completion) = ProfileGraph.Create(source, parts, outputs, graph).Run(materializer);
            return (control, completion, metrics);
        }

        var first = Start();
        await Eventually.HoldsAsync(() => first.Metrics.Completed > 5_000, TimeSpan.FromSeconds(90));
        var second = Start();
        await Eventually.HoldsAsync(() => second.Metrics.Completed > 0, TimeSpan.FromSeconds(90));
        await Eventually.HoldsAsync(run.AllCommitted, TimeSpan.FromMinutes(3));
        await Task.WhenAll(first.Control.DrainAndShutdownAsync(first.Completion), second.Control.DrainAndShutdownAsync(second.Completion))
            .WaitAsync(TimeSpan.FromSeconds(60));
        producer.Flush(TimeSpan.FromSeconds(30));

        Assert.True(first.Metrics.Completed < Stream.Events, "the first consumer gave partitions away");
        var latest = ProfileOutputs.LatestByKey(broker.ReadUntilIdle(run.Profiles, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2)));
        var differences = ProfileOutputs.Differences(truth, latest);
        Assert.True(differences.Count == 0, $"{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");
        Assert.Equal(truth.Profiles.Values.Sum(p => p.Version), first.Metrics.Applied + second.Metrics.Applied);
    }

}
