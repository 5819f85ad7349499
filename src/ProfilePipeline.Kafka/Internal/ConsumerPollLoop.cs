using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Confluent.Kafka;

namespace ProfilePipeline.Kafka.Internal;

/// <summary>
/// Owns the Confluent consumer on a dedicated thread: polls into a bounded channel, pauses the assignment
/// while the channel is full and resumes it when there is room, and runs every commit on this thread too
/// (the consumer is never touched from stream or actor threads). Rebalance-safe: each assignment gets a
/// generation, records of revoked partitions still buffered here are dropped, and commits carrying an old
/// generation are ignored.
/// </summary>
internal sealed class ConsumerPollLoop : IKafkaControl
{
    private readonly KafkaConsumerSettings _settings;
    private readonly Channel<KafkaRecord> _channel;
    private readonly ConcurrentQueue<(IReadOnlyCollection<CommittableOffset> Offsets, TaskCompletionSource Done)> _commits = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<TopicPartition, long> _assigned = [];
    private readonly Dictionary<TopicPartition, long> _handedOn = []; // highest offset written to the stream, per partition
    private readonly Dictionary<TopicPartition, long> _acknowledged = []; // highest offset the stream acknowledged, per partition
    private readonly Queue<KafkaRecord> _overflow = new();
    private readonly HashSet<TopicPartition> _unread = []; // assigned, and no record of it handed on (or queued) since
    private readonly Action<string> _log;
    private volatile bool _stopRequested;
    private volatile bool _shutdownRequested;
    private volatile IReadOnlyDictionary<string, long> _lag = ImmutableDictionary<string, long>.Empty;
    private long _generation;
    private bool _paused;
    private bool _assignmentChanged;
    private DateTime _lastErrorReport;
    private Thread? _thread;

    public ConsumerPollLoop(KafkaConsumerSettings settings, Action<string> log)
    {
        _settings = settings;
        _log = log;
        _channel = Channel.CreateBounded<KafkaRecord>(new BoundedChannelOptions(settings.BufferSize)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ChannelReader<KafkaRecord> Records => _channel.Reader;

    public IReadOnlyDictionary<string, long> Lag => _lag;

    public PartitionAssignments Assignments { get; } = new();

    public Task Closed => _closed.Task;

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "kafka-poll-" + _settings.GroupId };
        _thread.Start();
    }

    public void Stop() => _stopRequested = true;

    public Task ShutdownAsync()
    {
        _stopRequested = true;
        _shutdownRequested = true;
        return _closed.Task;
    }

    public async Task DrainAndShutdownAsync(Task streamCompletion)
    {
        Stop();
        try
        {
            await streamCompletion.ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    public Task CommitAsync(IReadOnlyCollection<CommittableOffset> offsets)
    {
        if (offsets.Count == 0)
            return Task.CompletedTask;
        if (_closed.Task.IsCompleted)
            return Task.FromException(new InvalidOperationException("the Kafka consumer is closed; the offsets will be redelivered"));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _commits.Enqueue((offsets, done));
        return done.Task;
    }

    private void Run()
    {
        IConsumer<byte[]?, byte[]?>? consumer = null;
        try
        {
            consumer = new ConsumerBuilder<byte[]?, byte[]?>(_settings.ToClientConfig())
                .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(c, partitions))
                .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition), commitFirst: true))
                .SetPartitionsLostHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition), commitFirst: false))
                .SetErrorHandler((_, error) => _log($"kafka consumer: {error.Reason} ({error.Code}{(error.IsFatal ? ", fatal" : "")})"))
                .SetLogHandler((_, message) =>
                {
                    if (message.Level <= SyslogLevel.Warning)
                        _log($"librdkafka {message.Level}: {message.Message}");
                })
                .Build();
            consumer.Subscribe(_settings.Topics);
            var lastLag = DateTime.UtcNow;
            while (!_shutdownRequested)
            {
                ProcessCommits(consumer);
                if (_stopRequested)
                {
                    StopEmitting(consumer);
                    ConsumeOrSkipError(consumer); // keeps rebalance callbacks going
                    ApplyPauseState(consumer);
                    continue;
                }
                FlushOverflow(consumer);
                var result = ConsumeOrSkipError(consumer);
                ApplyPauseState(consumer);
                if (result is { IsPartitionEOF: true } && _unread.Remove(result.TopicPartition))
                    Assignments.Add(PartitionChangeKind.NothingToRead, [NameOf(result.TopicPartition)]); // it holds no stage's watermark back
                else if (result is { IsPartitionEOF: false })
                    Offer(consumer, result);
                if (DateTime.UtcNow - lastLag > TimeSpan.FromSeconds(1))
                {
                    _lag = MeasureLag(consumer);
                    lastLag = DateTime.UtcNow;
                }
            }
            ProcessCommits(consumer);
            consumer.Close();
        }
        catch (Exception e) when (e is KafkaException or InvalidOperationException or ArgumentException)
        {
            _channel.Writer.TryComplete(e);
            FailCommits(e);
            _closed.TrySetException(e);
            consumer?.Dispose();
            return;
        }
        consumer.Dispose();
        _channel.Writer.TryComplete();
        FailCommits(new InvalidOperationException("the Kafka consumer closed before this commit ran"));
        _closed.TrySetResult();
    }

    /// <summary>
    /// A non-fatal consume error (a subscribed topic that does not exist yet, a broker that is briefly away) is
    /// reported and polling goes on; librdkafka recovers by itself. A fatal one ends the source.
    /// </summary>
    private ConsumeResult<byte[]?, byte[]?>? ConsumeOrSkipError(IConsumer<byte[]?, byte[]?> consumer)
    {
        try
        {
            return consumer.Consume(_settings.PollTimeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            if (DateTime.UtcNow - _lastErrorReport > TimeSpan.FromSeconds(5))
            {
                _log($"kafka consumer: {e.Error.Reason} (retrying)");
                _lastErrorReport = DateTime.UtcNow;
            }
            Thread.Sleep(_settings.PollTimeout); // the error returns at once; do not spin
            return null;
        }
    }

    private void Offer(IConsumer<byte[]?, byte[]?> consumer, ConsumeResult<byte[]?, byte[]?> result)
    {
        if (!_assigned.TryGetValue(result.TopicPartition, out var generation))
            return; // a record of a partition revoked in this very poll: its new owner reads it
        _unread.Remove(result.TopicPartition);
        var message = result.Message;
        var headers = message.Headers is null
            ? ImmutableArray<KafkaHeader>.Empty
            : [.. message.Headers.Select(h => new KafkaHeader(h.Key, h.GetValueBytes()))];
        var record = new KafkaRecord(result.Topic, result.Partition.Value, result.Offset.Value, message.Key, message.Value, headers,
            message.Timestamp.UtcDateTime, new CommittableOffset(result.Topic, result.Partition.Value, result.Offset.Value, generation));
        if (_overflow.Count == 0 && _channel.Writer.TryWrite(record))
        {
            _handedOn[result.TopicPartition] = result.Offset.Value;
            return;
        }
        _overflow.Enqueue(record);
        PauseAll(consumer);
    }

    private void FlushOverflow(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_overflow.TryPeek(out var record) && _channel.Writer.TryWrite(record))
        {
            _overflow.Dequeue();
            _handedOn[new TopicPartition(record.Topic, record.Partition)] = record.Offset;
        }
        if (_overflow.Count == 0 && _paused)
        {
            consumer.Resume(consumer.Assignment);
            _paused = false;
        }
    }

    private void PauseAll(IConsumer<byte[]?, byte[]?> consumer)
    {
        consumer.Pause(consumer.Assignment);
        _paused = true;
    }

    private void StopEmitting(IConsumer<byte[]?, byte[]?> consumer)
    {
        if (!_paused)
            PauseAll(consumer);
        _overflow.Clear(); // never emitted, never committed: redelivered to whoever consumes next
        _channel.Writer.TryComplete();
    }

    private void OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions)
    {
        var generation = ++_generation;
        foreach (var partition in partitions)
            _assigned[partition] = generation;
        _unread.UnionWith(partitions);
        Assignments.Add(PartitionChangeKind.Assigned, partitions.Select(NameOf));
        _log($"kafka consumer: assigned {string.Join(", ", partitions)} (generation {generation})");
        // The assignment takes effect when this handler returns; the pause state is set on it right after (see
        // ApplyPauseState), both ways.
        _assignmentChanged = true;
    }

    /// <summary>
    /// After a new assignment, pauses or resumes all of it to match this loop's state. Both ways: librdkafka keeps a
    /// partition's pause flag across a revoke and a later re-assign, so a partition paused in an earlier generation
    /// would otherwise stay paused while the loop, having resumed an empty assignment in between, believes it is
    /// fetching (a stall a rebalance test ran into).
    /// </summary>
    private void ApplyPauseState(IConsumer<byte[]?, byte[]?> consumer)
    {
        if (!_assignmentChanged)
            return;
        _assignmentChanged = false;
        if (_paused || _stopRequested)
            consumer.Pause(consumer.Assignment);
        else
            consumer.Resume(consumer.Assignment);
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, IEnumerable<TopicPartition> partitions, bool commitFirst)
    {
        var revoked = partitions.ToHashSet();
        // A graceful revoke: the records already handed to the stream finish and their offsets are committed while the
        // partitions are still ours. The group waits for this handler, so the new owner starts after them, and no stale
        // profile of ours lands after the new owner's. Lost partitions (already given away) are just dropped.
        if (commitFirst)
            DrainRevoked(consumer, revoked);
        foreach (var partition in revoked)
        {
            _assigned.Remove(partition);
            _handedOn.Remove(partition);
            _acknowledged.Remove(partition);
            _unread.Remove(partition);
        }
        var keep = _overflow.Where(r => !revoked.Contains(new TopicPartition(r.Topic, r.Partition))).ToList();
        _overflow.Clear();
        foreach (var record in keep)
            _overflow.Enqueue(record);
        Assignments.Add(PartitionChangeKind.Revoked, revoked.Select(NameOf));
        _log($"kafka consumer: revoked {string.Join(", ", revoked)}");
    }

    private void DrainRevoked(IConsumer<byte[]?, byte[]?> consumer, HashSet<TopicPartition> revoked)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        bool Pending() => revoked.Any(p => _handedOn.TryGetValue(p, out var last) && _acknowledged.GetValueOrDefault(p, -1) < last);
        ProcessCommits(consumer);
        while (Pending() && started.Elapsed < _settings.RevokeDrainTimeout && !_shutdownRequested)
        {
            Thread.Sleep(5);
            ProcessCommits(consumer);
        }
        if (Pending())
            _log($"kafka consumer: records of revoked {string.Join(", ", revoked)} still in flight after {started.Elapsed.TotalSeconds:F1} s; letting go");
    }

    private void ProcessCommits(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_commits.TryDequeue(out var commit))
        {
            var current = commit.Offsets
                .Where(o => _assigned.TryGetValue(new TopicPartition(o.Topic, o.Partition), out var generation) && generation == o.Generation)
                .GroupBy(o => new TopicPartition(o.Topic, o.Partition))
                .Select(g => new TopicPartitionOffset(g.Key, g.Max(o => o.Offset) + 1))
                .ToList();
            foreach (var offset in current)
                _acknowledged[offset.TopicPartition] = Math.Max(_acknowledged.GetValueOrDefault(offset.TopicPartition, -1), offset.Offset.Value - 1);
            try
            {
                if (current.Count > 0)
                    consumer.Commit(current);
                commit.Done.TrySetResult();
            }
            catch (KafkaException e)
            {
                commit.Done.TrySetException(e);
            }
        }
    }

    private void FailCommits(Exception reason)
    {
        while (_commits.TryDequeue(out var commit))
            commit.Done.TrySetException(reason);
    }

    private static string NameOf(TopicPartition partition) => PartitionAssignments.InputName(partition.Topic, partition.Partition.Value);

    private static IReadOnlyDictionary<string, long> MeasureLag(IConsumer<byte[]?, byte[]?> consumer)
    {
        var lag = new Dictionary<string, long>();
        foreach (var partition in consumer.Assignment)
        {
            var watermarks = consumer.GetWatermarkOffsets(partition);
            var position = consumer.Position(partition);
            if (watermarks.High != Offset.Unset && position != Offset.Unset)
                lag[partition.ToString()] = Math.Max(0, watermarks.High.Value - position.Value);
        }
        return lag;
    }
}
