using System.Buffers;
using Akka;
using Akka.Streams.Dsl;

namespace ProfilePipeline.Streams;

/// <summary>
/// Writes profile updates to <c>profiles.jsonl</c> and dead letters to <c>dead-letters.jsonl</c> in source order,
/// then advances the checkpoint. Not thread-safe: the sink stage calls it from one place.
/// </summary>
public sealed class OutputFiles : IDisposable
{
    public const string ProfilesFile = "profiles.jsonl";
    public const string DeadLettersFile = "dead-letters.jsonl";

    private readonly FileStream _profiles;
    private readonly FileStream _deadLetters;
    private readonly CheckpointStore _checkpoints;
    private readonly PipelineMetrics _metrics;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Checkpoint _checkpoint;

    /// <summary>Opens the outputs, cutting off whatever was written after the last checkpoint.</summary>
    public OutputFiles(string dataDirectory, CheckpointStore checkpoints, PipelineMetrics metrics)
    {
        _checkpoints = checkpoints;
        _metrics = metrics;
        _checkpoint = checkpoints.Load();
        _profiles = OpenAt(Path.Combine(dataDirectory, ProfilesFile), _checkpoint.ProfilesBytes);
        _deadLetters = OpenAt(Path.Combine(dataDirectory, DeadLettersFile), _checkpoint.DeadLettersBytes);
    }

    public Checkpoint Checkpoint => _checkpoint;

    /// <summary>The graph's output stage: writes in batches of up to <paramref name="batch"/> or every <paramref name="interval"/>.</summary>
    public Flow<PipelineItem, int, NotUsed> AsFlow(int batch, TimeSpan interval) =>
        Flow.Create<PipelineItem>()
            .GroupedWithin(batch, interval)
            .Select(items => Write(items as IReadOnlyList<PipelineItem> ?? items.ToList()));

    public int Write(IReadOnlyList<PipelineItem> batch)
    {
        if (batch.Count == 0)
            return 0;
        foreach (var item in batch)
        {
            if (item.DeadLetter is { } dead)
                WriteLine(_deadLetters, b => ProfileJson.WriteDeadLetter(b, dead));
            if (item.Profile is { } profile)
                WriteLine(_profiles, b => ProfileJson.WriteProfile(b, profile));
        }
        _profiles.Flush();
        _deadLetters.Flush();
        var last = batch[^1].Position;
        _checkpoint = new Checkpoint(_profiles.Length, _deadLetters.Length, _checkpoint.Sources.SetItem(last.SourceId, last.Offset));
        _checkpoints.Save(_checkpoint);
        foreach (var item in batch)
            _metrics.RecordCompleted(item);
        return batch.Count;
    }

    private void WriteLine(FileStream file, Action<IBufferWriter<byte>> write)
    {
        _buffer.ResetWrittenCount();
        write(_buffer);
        _buffer.Write("\n"u8);
        file.Write(_buffer.WrittenSpan);
    }

    private static FileStream OpenAt(string path, long length)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        if (file.Length < length)
            throw new InvalidDataException($"{path} is shorter ({file.Length} bytes) than the checkpoint says ({length}); it was changed outside the pipeline");
        file.SetLength(length);
        file.Seek(0, SeekOrigin.End);
        return file;
    }

    public void Dispose()
    {
        _profiles.Dispose();
        _deadLetters.Dispose();
    }
}
