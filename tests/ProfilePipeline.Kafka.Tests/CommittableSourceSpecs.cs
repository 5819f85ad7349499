using System.Collections.Concurrent;
using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Testing;

namespace ProfilePipeline.Kafka.Tests;

/// <summary>The committable source and the batched committer against a Kafka-protocol broker on 127.0.0.1.</summary>
[Collection(nameof(KafkaSpecs))]
public sealed class CommittableSourceSpecs(KafkaBroker broker, Xunit.Abstractions.ITestOutputHelper output) : TestKit, IClassFixture<KafkaBroker>
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Trace(string line) => output.WriteLine($"{_clock.Elapsed.TotalSeconds:F2}s {line}");

    private const int Partitions = 4; // the mock cluster's default for auto-created topics

    private KafkaConsumerSettings Consumer(string topic, string group) =>
        KafkaBroker.FastConsumer.Aggregate(
            new KafkaConsumerSettings { BootstrapServers = broker.BootstrapServers, GroupId = group }.WithTopics(topic).WithBufferSize(64),
            (settings, property) => settings.WithProperty(property.Key, property.Value));

    private (string Topic, string Group) Produce(int count)
    {
        var topic = KafkaBroker.UniqueName("source");
        broker.Produce(topic, Enumerable.Range(0, count).Select(i => ((string?)$"user{i % 37}", (byte[]?)Encoding.UTF8.GetBytes($"record {i}"))));
        return (topic, KafkaBroker.UniqueName("group"));
    }

    [Fact]
    public async Task A_committable_source_must_consume_every_record_once_in_partition_order_and_commit_the_processed_offsets()
    {
        const int count = 3_000;
        var (topic, group) = Produce(count);
        var materializer = Sys.Materializer();
        var (control, source) = KafkaSource.CommittableSource(Consumer(topic, group), Trace).PreMaterialize(materializer);
        var seen = new ConcurrentQueue<KafkaRecord>();

        var committed = await source
            .Take(count)
            .Select(r => { seen.Enqueue(r); return r.Committable; })
            .Via(KafkaCommitter.Batched(control, 100, TimeSpan.FromMilliseconds(50)))
            .RunWith(Sink.Aggregate<int, int>(0, (sum, n) => sum + n), materializer)
            .WaitAsync(TimeSpan.FromSeconds(60));
        Trace("consumed and committed");
        await control.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Trace("shut down");

        Assert.Equal(count, committed);
        foreach (var partition in seen.GroupBy(r => r.Partition))
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
        Assert.Equal(broker.EndOffsets(topic, Partitions), broker.Committed(group, topic, Partitions));
    }

    [Fact]
    public async Task The_committer_commits_nothing_until_what_must_be_durable_first_is_and_then_everything_read()
    {
        const int count = 200;
        var (topic, group) = Produce(count);
        var materializer = Sys.Materializer();
        var (control, source) = KafkaSource.CommittableSource(Consumer(topic, group), Trace).PreMaterialize(materializer);
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = 0;
        var asked = 0;

        var committed = source
            .Take(count)
            .Select(r => { Interlocked.Increment(ref read); return r.Committable; })
            .Via(KafkaCommitter.Batched(control, 1_000, TimeSpan.FromMilliseconds(20), Trace, beforeCommit: () =>
            {
                Interlocked.Increment(ref asked);
                return durable.Task;
            }))
            .RunWith(Sink.Aggregate<int, int>(0, (sum, n) => sum + n), materializer);
        // Everything read, and the committer waiting before its commit of it.
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref read) == count && Volatile.Read(ref asked) > 0), TimeSpan.FromSeconds(30));
        Assert.Empty(broker.Committed(group, topic, Partitions));

        durable.SetResult();
        Assert.Equal(count, await committed.WaitAsync(TimeSpan.FromSeconds(30)));
        await control.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(broker.EndOffsets(topic, Partitions), broker.Committed(group, topic, Partitions));
    }

    [Fact]
    public async Task A_source_tells_the_partitions_it_is_assigned_and_those_it_finds_nothing_to_read_in()
    {
        const int count = 50;
        var topic = KafkaBroker.UniqueName("source");
        broker.Produce(topic, Enumerable.Range(0, count).Select(i => ((string?)"one user", (byte[]?)Encoding.UTF8.GetBytes($"record {i}"))));
        var materializer = Sys.Materializer();
        var (control, source) = KafkaSource.CommittableSource(Consumer(topic, KafkaBroker.UniqueName("group")), Trace).PreMaterialize(materializer);
        var changes = control.Assignments.NewReader();

        // Read on, not taken and cancelled: a source stopped reports no more, and the empty partitions' ends may come last.
        var records = new ConcurrentQueue<KafkaRecord>();
        var completion = source.RunWith(Sink.ForEach<KafkaRecord>(records.Enqueue), materializer);
        var seen = new List<PartitionChange>();
        await AwaitConditionAsync(() =>
        {
            seen.AddRange(changes.TakeNew());
            return Task.FromResult(records.Count == count && seen.Count(c => c.Kind == PartitionChangeKind.NothingToRead) >= Partitions - 1);
        }, TimeSpan.FromSeconds(60));
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        seen.AddRange(changes.TakeNew());
        var read = Assert.Single(records.Select(r => r.Partition).Distinct()); // one key: one partition

        var all = Enumerable.Range(0, Partitions).Select(p => PartitionAssignments.InputName(topic, p)).ToList();
        Assert.Equal(all, seen.Where(c => c.Kind == PartitionChangeKind.Assigned).Select(c => c.Partition).Order());
        // The partition with records is never found with nothing to read, even once they are all read.
        Assert.Equal(all.Where(p => p != PartitionAssignments.InputName(topic, read)),
            seen.Where(c => c.Kind == PartitionChangeKind.NothingToRead).Select(c => c.Partition).Order());
        Assert.True(seen.FindIndex(c => c.Kind == PartitionChangeKind.NothingToRead) > seen.FindLastIndex(c => c.Kind == PartitionChangeKind.Assigned),
            "a partition is found empty after it is assigned");
    }

    [Fact]
    public async Task Drain_and_shutdown_must_stop_consuming_finish_in_flight_records_and_commit_exactly_what_was_processed()
    {
        const int count = 5_000;
        var (topic, group) = Produce(count);
        var materializer = Sys.Materializer();
        var (control, source) = KafkaSource.CommittableSource(Consumer(topic, group), Trace).PreMaterialize(materializer);
        var processed = new ConcurrentDictionary<int, long>();

        var completion = source
            .Throttle(500, TimeSpan.FromMilliseconds(100), 500, ThrottleMode.Shaping) // a slow pipeline: the source must backpressure
            .Select(r => { processed.AddOrUpdate(r.Partition, r.Offset, (_, o) => Math.Max(o, r.Offset)); return r.Committable; })
            .Via(KafkaCommitter.Batched(control, 100, TimeSpan.FromMilliseconds(50)))
            .RunWith(Sink.Ignore<int>(), materializer);
        await AwaitConditionAsync(() => Task.FromResult(processed.Values.Sum() > 500), TimeSpan.FromSeconds(30));

        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(60));

        var committed = broker.Committed(group, topic, Partitions);
        Assert.Equal(processed.ToDictionary(kv => kv.Key, kv => kv.Value + 1), committed);
        Assert.True(committed.Values.Sum() < count, "the drain stopped before the topic's end");
    }

    [Fact]
    public async Task A_second_consumer_joining_the_group_takes_partitions_over_and_together_they_cover_every_record()
    {
        const int count = 6_000;
        var (topic, group) = Produce(count);
        var materializer = Sys.Materializer();
        var processed = new ConcurrentDictionary<(int, long), int>();

        (IKafkaControl Control, Task Completion) Start()
        {
            var (control, source) = KafkaSource.CommittableSource(Consumer(topic, group), Trace).PreMaterialize(materializer);
            var completion = source
                .Throttle(1000, TimeSpan.FromMilliseconds(100), 1000, ThrottleMode.Shaping)
                .Select(r => { processed.AddOrUpdate((r.Partition, r.Offset), 1, (_, n) => n + 1); return r.Committable; })
                .Via(KafkaCommitter.Batched(control, 100, TimeSpan.FromMilliseconds(50)))
                .RunWith(Sink.Ignore<int>(), materializer);
            return (control, completion);
        }

        var first = Start();
        await AwaitConditionAsync(() => Task.FromResult(processed.Count > 1_000), TimeSpan.FromSeconds(30));
        Trace("second consumer joins");
        var second = Start();
        await AwaitConditionAsync(() => Task.FromResult(processed.Count == count), TimeSpan.FromSeconds(120));
        Trace("all records processed");
        await AwaitConditionAsync(
            () => Task.FromResult(broker.Committed(group, topic, Partitions).Values.Sum() == count), TimeSpan.FromSeconds(30));
        Trace("all offsets committed");
        await Task.WhenAll(first.Control.DrainAndShutdownAsync(first.Completion), second.Control.DrainAndShutdownAsync(second.Completion))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(count, processed.Count);
        Assert.Equal(broker.EndOffsets(topic, Partitions), broker.Committed(group, topic, Partitions));
        // At-least-once: a record may be seen twice around the rebalance, never lost; the entities dedup the rest.
        Trace($"{processed.Values.Count(n => n > 1)} records were processed twice around the rebalance");
    }
}

/// <summary>Kafka specs run one at a time: each starts consumers that rebalance and poll threads that share two cores.</summary>
[CollectionDefinition(nameof(KafkaSpecs), DisableParallelization = true)]
public sealed class KafkaSpecs;
