using System.Collections.Concurrent;

namespace ProfilePipeline.Kafka;

/// <summary>
/// The partitions a consumer gave up in rebalances (revoked or lost), in the order it gave them up, for the stream
/// stages that hold state per partition: such a stage drops what it holds of a partition its node no longer reads, so
/// that only the partition's new owner acts on it (the state itself lives on in the partition's durable index). Each
/// stage reads with its own <see cref="Reader"/>. Thread-safe: the consumer's poll thread adds, stages read.
/// </summary>
public sealed class PartitionRevocations
{
    private static readonly ConcurrentDictionary<(string Topic, int Partition), string> InputNames = new();
    private readonly object _gate = new();
    private readonly List<string> _revoked = [];

    /// <summary>
    /// How a stream stage names a Kafka partition it reads (its input partition): one string per partition, made once,
    /// not one per record (the stages key their state by it, per record).
    /// </summary>
    public static string InputName(string topic, int partition) =>
        InputNames.GetOrAdd((topic, partition), static key => $"kafka:{key.Topic}/{key.Partition}");

    /// <summary>Partitions given up, by <see cref="InputName"/>.</summary>
    public void Add(IEnumerable<string> partitions)
    {
        lock (_gate)
            _revoked.AddRange(partitions);
    }

    /// <summary>A reader that has seen none yet (revocations before it was made included).</summary>
    public Reader NewReader() => new(this);

    /// <summary>One stage's place in the revocations.</summary>
    public sealed class Reader(PartitionRevocations revocations)
    {
        private int _seen;

        /// <summary>The partitions given up since the last call.</summary>
        public IReadOnlyList<string> TakeNew()
        {
            lock (revocations._gate)
            {
                var revoked = revocations._revoked.GetRange(_seen, revocations._revoked.Count - _seen);
                _seen = revocations._revoked.Count;
                return revoked;
            }
        }
    }
}
