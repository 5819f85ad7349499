namespace ProfilePipeline.Streams;

/// <summary>
/// What must be durable before the graph's outputs checkpoint (files) or commit offsets (Kafka): a stage that writes its
/// state in the background, rather than before each batch moves on, registers the write that makes everything it has
/// followed durable, and the outputs await <see cref="BeforeCheckpointAsync"/> before each checkpoint or commit. Every
/// record a checkpoint covers has passed the stage by then, so its state is in that write. Thread-safe.
/// </summary>
public sealed class CheckpointBarrier
{
    private readonly Lock _gate = new();
    private Func<Task>[] _writes = [];

    /// <summary>Registers a stage's write; it is awaited before every checkpoint from now on.</summary>
    public void Register(Func<Task> writeFollowed)
    {
        lock (_gate)
            _writes = [.. _writes, writeFollowed];
    }

    /// <summary>Completes once every registered stage has written what it followed up to now; faults if a write failed.</summary>
    public Task BeforeCheckpointAsync()
    {
        var writes = Volatile.Read(ref _writes);
        return writes.Length switch
        {
            0 => Task.CompletedTask,
            1 => writes[0](),
            _ => Task.WhenAll(writes.Select(write => write())),
        };
    }
}
