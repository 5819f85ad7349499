using System.Collections.Concurrent;

namespace ProfilePipeline.Kafka;

/// <summary>What happened to one of a consumer's partitions, named by <see cref="PartitionAssignments.InputName"/>.</summary>
public enum PartitionChangeKind
{
    /// <summary>Assigned in a rebalance: its records come from now on.</summary>
    Assigned,

    /// <summary>The consumer reached the partition's end without a record of it to hand on since it was assigned.</summary>
    NothingToRead,

    /// <summary>Given up in a rebalance (revoked or lost), once every record of it handed on was processed (or it was lost).</summary>
    Revoked,
}

public readonly record struct PartitionChange(string Partition, PartitionChangeKind Kind);

/// <summary>
/// What a consumer's rebalances did to its partitions, in the order they did it, for the stream stages that hold state
/// per partition. Such a stage drops what it holds of a partition its node no longer reads, so that only the
/// partition's new owner acts on it (the state itself lives on in the partition's durable index), and lets a partition
/// just assigned hold the event-time watermark until its records come (unless it has none to read). Each stage reads
/// with its own <see cref="Reader"/>. Thread-safe: the consumer's poll thread adds, stages read.
/// </summary>
public sealed class PartitionAssignments
{
    private static readonly ConcurrentDictionary<(string Topic, int Partition), string> InputNames = new();
    private readonly object _gate = new();
    private readonly List<PartitionChange> _changes = [];

    /// <summary>
    /// How a stream stage names a Kafka partition it reads (its input partition): one string per partition, made once,
    /// not one per record (the stages key their state by it, per record).
    /// </summary>
    public static string InputName(string topic, int partition) =>
        InputNames.GetOrAdd((topic, partition), static key => $"kafka:{key.Topic}/{key.Partition}");

    /// <summary>Partitions, by <see cref="InputName"/>, that had <paramref name="kind"/> happen to them.</summary>
    public void Add(PartitionChangeKind kind, IEnumerable<string> partitions)
    {
        lock (_gate)
            _changes.AddRange(partitions.Select(p => new PartitionChange(p, kind)));
    }

    /// <summary>A reader that has seen none yet (changes before it was made included).</summary>
    public Reader NewReader() => new(this);

    /// <summary>One stage's place in the changes.</summary>
    public sealed class Reader(PartitionAssignments assignments)
    {
        private int _seen;

        /// <summary>The changes since the last call, in order.</summary>
        public IReadOnlyList<PartitionChange> TakeNew()
        {
            lock (assignments._gate)
            {
                var changes = assignments._changes.GetRange(_seen, assignments._changes.Count - _seen);
                _seen = assignments._changes.Count;
                return changes;
            }
        }
    }
}
