using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Streams.Tests;

/// <summary>
/// The output files are written at once and checkpointed only as far as the stages that write at checkpoints have made
/// their state durable, at most every checkpoint interval, and once more at the end.
/// </summary>
public sealed class OutputFilesSpecs : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const string Input = "file:test";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly string _directory = Directory.CreateTempSubdirectory("pp-outputs-").FullName;
    private readonly CheckpointBarrier _checkpoints = new();
    private readonly CheckpointStore _store;
    private readonly OutputFiles _outputs;

    public OutputFilesSpecs()
    {
        _store = new CheckpointStore(Path.Combine(_directory, "checkpoint.json"));
        _outputs = new OutputFiles(_directory, _store, new PipelineMetrics(), _checkpoints);
    }

    private static PipelineItem Refused(long offset) => new(new SourcePosition(Input, offset), 0)
    {
        DeadLetter = new DeadLetter(new SourcePosition(Input, offset), DeadLetterReasons.Unreadable, $"record {offset}", "{"),
    };

    private int DeadLettersWritten() => File.ReadAllLines(Path.Combine(_directory, OutputFiles.DeadLettersFile)).Length;

    [Fact]
    public async Task Records_are_written_at_once_and_checkpointed_once_the_stages_writes_before_the_checkpoint_are_done()
    {
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = 0;
        _checkpoints.Register(() =>
        {
            Interlocked.Increment(ref asked);
            return durable.Task;
        });

        var done = Source.From(Enumerable.Range(0, 5).Select(i => Refused(i)))
            .Via(_outputs.AsFlow(100, TimeSpan.FromMilliseconds(10), checkpointEvery: TimeSpan.Zero))
            .RunWith(Sink.Ignore<int>(), Sys.Materializer());
        // Every record written, a checkpoint waiting after the first batch and the last one waiting at the end.
        await AwaitConditionAsync(() => Task.FromResult(DeadLettersWritten() == 5 && Volatile.Read(ref asked) == 2), Timeout);
        Assert.False(done.IsCompleted, "the stream ended before its last checkpoint");
        Assert.Equal(-1, _store.Load().OffsetOf(Input));

        durable.SetResult();
        await done.WaitAsync(Timeout);
        Assert.Equal(4, _store.Load().OffsetOf(Input));
        Assert.Equal(4, _outputs.Checkpoint.OffsetOf(Input));
    }

    [Fact]
    public async Task A_checkpoint_waits_for_its_interval_and_the_last_one_comes_when_the_stream_ends()
    {
        var asked = 0;
        _checkpoints.Register(() =>
        {
            Interlocked.Increment(ref asked);
            return Task.CompletedTask;
        });
        var (queue, done) = Source.Queue<PipelineItem>(10, OverflowStrategy.Backpressure)
            .Via(_outputs.AsFlow(1, TimeSpan.FromMilliseconds(10), checkpointEvery: TimeSpan.FromMinutes(10)))
            .ToMaterialized(Sink.Ignore<int>(), Keep.Both).Run(Sys.Materializer());

        for (var i = 0; i < 3; i++)
            await queue.OfferAsync(Refused(i));
        await AwaitConditionAsync(() => Task.FromResult(DeadLettersWritten() == 3), Timeout);
        Assert.Equal(0, Volatile.Read(ref asked));
        Assert.Equal(-1, _store.Load().OffsetOf(Input));

        queue.Complete();
        await done.WaitAsync(Timeout);
        Assert.Equal(1, Volatile.Read(ref asked));
        Assert.Equal(2, _store.Load().OffsetOf(Input));
    }

    [Fact]
    public async Task A_failed_write_before_a_checkpoint_fails_the_stream_and_moves_no_checkpoint()
    {
        _checkpoints.Register(() => Task.FromException(new InvalidOperationException("the learner is gone")));

        var done = Source.From(Enumerable.Range(0, 3).Select(i => Refused(i)))
            .Via(_outputs.AsFlow(1, TimeSpan.FromMilliseconds(10), checkpointEvery: TimeSpan.Zero))
            .RunWith(Sink.Ignore<int>(), Sys.Materializer());

        await Assert.ThrowsAnyAsync<Exception>(() => done.WaitAsync(Timeout));
        Assert.Equal(-1, _store.Load().OffsetOf(Input));
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        _outputs.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
