using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Streams.Tests;

/// <summary>The output files checkpoint only what the stages that write at checkpoints have made durable.</summary>
public sealed class OutputFilesSpecs : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pp-outputs-").FullName;

    [Fact]
    public async Task A_batch_is_written_and_checkpointed_only_once_the_stages_writes_before_the_checkpoint_are_done()
    {
        var checkpoints = new CheckpointBarrier();
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        checkpoints.Register(() => durable.Task);
        var store = new CheckpointStore(Path.Combine(_directory, "checkpoint.json"));
        using var outputs = new OutputFiles(_directory, store, new PipelineMetrics());
        var records = Enumerable.Range(0, 5).Select(i => new PipelineItem(new SourcePosition("file:test", i), 0)
        {
            DeadLetter = new DeadLetter(new SourcePosition("file:test", i), DeadLetterReasons.Unreadable, $"record {i}", "{"),
        });

        var written = Source.From(records).Via(outputs.AsFlow(100, TimeSpan.FromMilliseconds(10), checkpoints))
            .RunWith(Sink.Aggregate<int, int>(0, (sum, n) => sum + n), Sys.Materializer());
        await Task.Delay(300); // many output intervals
        Assert.False(written.IsCompleted);
        Assert.Equal(-1, store.Load().OffsetOf("file:test"));
        Assert.Equal(0, new FileInfo(Path.Combine(_directory, OutputFiles.DeadLettersFile)).Length);

        durable.SetResult();
        Assert.Equal(5, await written.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, store.Load().OffsetOf("file:test"));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(_directory, OutputFiles.DeadLettersFile)).Length);
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        Directory.Delete(_directory, recursive: true);
    }
}
