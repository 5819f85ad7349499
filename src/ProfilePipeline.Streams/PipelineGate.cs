namespace ProfilePipeline.Streams;

/// <summary>
/// Pauses and resumes the graph at its source, for operators: while closed, no new record enters; records already
/// inside run to the end and are checkpointed or committed. With Kafka, the source then backpressures and the
/// consumer pauses its partitions, so the group keeps them.
/// </summary>
public sealed class PipelineGate
{
    private readonly Lock _lock = new();
    private volatile TaskCompletionSource? _closed; // written under the lock, read without it (every record reads it)

    public bool IsPaused => _closed is not null;

    public void Pause()
    {
        lock (_lock)
            _closed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Resume()
    {
        TaskCompletionSource? closed;
        lock (_lock)
        {
            closed = _closed;
            _closed = null;
        }
        closed?.TrySetResult();
    }

    /// <summary>Completed at once while open; otherwise when the gate is resumed.</summary>
    public Task WhenOpen() => _closed?.Task ?? Task.CompletedTask;
}
