using System.Buffers;
using System.Text;
using System.Text.Json;
using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Streams;

/// <summary>
/// Writes profile updates to <c>profiles.jsonl</c>, dead letters to <c>dead-letters.jsonl</c> and decided actions to
/// <c>actions.jsonl</c> in source order, and checkpoints them: the files' lengths with the offset of the last record
/// written, saved at most every checkpoint interval, once the stages that write at checkpoints
/// (<see cref="CheckpointBarrier"/>) have made their state durable up to it. The outputs do not wait for a checkpoint;
/// a restart cuts off whatever was written after the last one and reads on from its offset. The sink stage writes from
/// one place; erasing a user (from the admin endpoint) takes the same lock, so a write is wholly before or wholly after
/// an erasure.
/// </summary>
public sealed class OutputFiles : IDisposable, IOutputEraser, IProfileRepublisher
{
    /// <summary>What an erased line becomes: valid JSON, padded with spaces to the line's length, so no offset moves.</summary>
    private static readonly byte[] ErasedRecord = "{\"erased\":true}"u8.ToArray();

    public const string ProfilesFile = "profiles.jsonl";
    public const string DeadLettersFile = "dead-letters.jsonl";
    public const string ActionsFile = "actions.jsonl";

    private readonly FileStream _profiles;
    private readonly FileStream _deadLetters;
    private readonly FileStream _actions;
    private readonly CheckpointStore _checkpoints;
    private readonly PipelineMetrics _metrics;
    private readonly Erasures? _erasures;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Lock _lock = new();
    private readonly CheckpointBarrier _before;
    private Checkpoint _checkpoint;
    private Checkpoint _written;
    private long _writtenVersion;
    private long _savedVersion;
    private long _checkpointStartedAt = Environment.TickCount64;
    private Task _checkpointing = Task.CompletedTask;
    private Exception? _checkpointFailed;

    /// <summary>Opens the outputs, cutting off whatever was written after the last checkpoint.</summary>
    /// <param name="before">What each checkpoint waits for: the stages' writes of what they followed (the graph's <see cref="ProfileGraphParts.Checkpoints"/>).</param>
    /// <param name="erasures">Updates of users erased while they were in flight are not written (null: no erasures).</param>
    public OutputFiles(string dataDirectory, CheckpointStore checkpoints, PipelineMetrics metrics, CheckpointBarrier before, Erasures? erasures = null)
    {
        _checkpoints = checkpoints;
        _metrics = metrics;
        _before = before;
        _erasures = erasures;
        _checkpoint = _written = checkpoints.Load();
        _profiles = OpenAt(Path.Combine(dataDirectory, ProfilesFile), _checkpoint.ProfilesBytes);
        _deadLetters = OpenAt(Path.Combine(dataDirectory, DeadLettersFile), _checkpoint.DeadLettersBytes);
        _actions = OpenAt(Path.Combine(dataDirectory, ActionsFile), _checkpoint.ActionsBytes);
    }

    /// <summary>The last checkpoint saved.</summary>
    public Checkpoint Checkpoint
    {
        get
        {
            lock (_lock)
                return _checkpoint;
        }
    }

    /// <summary>
    /// The graph's output stage: writes in batches of up to <paramref name="batch"/> or every <paramref name="interval"/>,
    /// and starts a checkpoint after a batch when the last started <paramref name="checkpointEvery"/> ago or more (one at
    /// a time; the writing goes on meanwhile). When the stream completes, a last checkpoint covers everything; a failed
    /// checkpoint fails the stream.
    /// </summary>
    public Flow<PipelineItem, int, NotUsed> AsFlow(int batch, TimeSpan interval, TimeSpan checkpointEvery) =>
        Flow.Create<PipelineItem>()
            .GroupedWithin(batch, interval)
            .Select(items =>
            {
                var written = Write(items as IReadOnlyList<PipelineItem> ?? items.ToList());
                CheckpointWhenDue(checkpointEvery);
                return written;
            })
            .Via(new FinishWith<int>(CheckpointAsync));

    /// <summary>After each batch, from the stream's stage only (one call at a time): starts a checkpoint when one is due.</summary>
    private void CheckpointWhenDue(TimeSpan every)
    {
        var now = Environment.TickCount64;
        lock (_lock)
        {
            if (_checkpointFailed is { } failure)
                throw new IOException("checkpointing the outputs failed", failure);
            if (!_checkpointing.IsCompleted || now - _checkpointStartedAt < (long)every.TotalMilliseconds || _writtenVersion == _savedVersion)
                return;
        }
        _checkpointStartedAt = now;
        _checkpointing = CheckpointAsync();
        // Its failure is seen by the next batch (through _checkpointFailed) and by the last checkpoint.
        _checkpointing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// Saves the files as written now, once the stages' state is durable up to them: every record they hold has passed
    /// those stages, so the stages' writes of what they followed cover it. A newer checkpoint saved meanwhile stays.
    /// </summary>
    public async Task CheckpointAsync()
    {
        Checkpoint written;
        long version;
        lock (_lock)
            (written, version) = (_written, _writtenVersion);
        try
        {
            await _before.BeforeCheckpointAsync().ConfigureAwait(false);
            lock (_lock)
            {
                if (version <= _savedVersion)
                    return;
                _checkpoints.Save(written);
                (_checkpoint, _savedVersion) = (written, version);
            }
        }
        catch (Exception e)
        {
            lock (_lock)
                _checkpointFailed ??= e;
            throw;
        }
    }

    public int Write(IReadOnlyList<PipelineItem> batch)
    {
        if (batch.Count == 0)
            return 0;
        lock (_lock)
            WriteLocked(batch);
        foreach (var item in batch)
            _metrics.RecordCompleted(item);
        return batch.Count;
    }

    private void WriteLocked(IReadOnlyList<PipelineItem> batch)
    {
        foreach (var item in batch)
        {
            if (item.DeadLetter is { } dead && !(dead.UserId is not null && _erasures?.Suppresses(dead.UserId, long.MinValue) == true))
                WriteLine(_deadLetters, b => ProfileJson.WriteDeadLetter(b, dead));
            if (item.Profile is { } profile && _erasures?.Suppresses(profile.Features.UserId, profile.Features.AsOf) != true)
                WriteLine(_profiles, b => ProfileJson.WriteProfile(b, profile));
            foreach (var inactive in item.Inactive)
                if (_erasures?.Suppresses(inactive.Features.UserId, inactive.Features.AsOf) != true)
                    WriteLine(_profiles, b => ProfileJson.WriteProfile(b, inactive));
            foreach (var action in item.Actions)
                if (_erasures?.Suppresses(action.UserId, action.Profile.Features.AsOf) != true)
                    WriteLine(_actions, b => ProfileJson.WriteAction(b, action));
        }
        _profiles.Flush();
        _deadLetters.Flush();
        _actions.Flush();
        var last = batch[^1].Position;
        _written = new Checkpoint(_profiles.Length, _deadLetters.Length, _written.Sources.SetItem(last.SourceId, last.Offset))
        {
            ActionsBytes = _actions.Length,
        };
        _writtenVersion++;
    }

    /// <summary>Appends rebuilt profiles to <c>profiles.jsonl</c> between two batches of the graph, and checkpoints past them.</summary>
    public async Task<int> RepublishAsync(IReadOnlyList<ScoredProfile> profiles, CancellationToken cancellationToken)
    {
        var written = 0;
        lock (_lock)
        {
            foreach (var profile in profiles)
            {
                if (_erasures?.Suppresses(profile.Features.UserId, profile.Features.AsOf) == true)
                    continue;
                WriteLine(_profiles, b => ProfileJson.WriteProfile(b, profile));
                written++;
            }
            _profiles.Flush();
            _written = _written with { ProfilesBytes = _profiles.Length };
            _writtenVersion++;
        }
        await CheckpointAsync().ConfigureAwait(false);
        return written;
    }

    /// <summary>
    /// Overwrites every line of <paramref name="userId"/> (pseudonymous) in the three files with <c>{"erased":true}</c>,
    /// in place: lengths and the checkpoint stay valid, a crash midway leaves whole lines, and erasing again is harmless.
    /// </summary>
    public Task<OutputErasure> EraseUserAsync(string userId, CancellationToken cancellationToken)
    {
        lock (_lock)
            return Task.FromResult(new OutputErasure(EraseLines(_profiles, userId), EraseLines(_deadLetters, userId), false)
            {
                Actions = EraseLines(_actions, userId),
            });
    }

    private static long EraseLines(FileStream file, string userId)
    {
        file.Flush(flushToDisk: true);
        var lines = FindLinesOf(file.Name, file.Length, userId);
        if (lines.Count == 0)
            return 0;
        var padded = new byte[Math.Max(ErasedRecord.Length, lines.Max(l => l.Length))];
        padded.AsSpan().Fill((byte)' ');
        ErasedRecord.CopyTo(padded, 0);
        foreach (var (offset, length) in lines)
            RandomAccess.Write(file.SafeFileHandle, padded.AsSpan(0, length), offset);
        file.Flush(flushToDisk: true);
        return lines.Count;
    }

    /// <summary>Offsets and lengths (without the newline) of the lines whose top-level <c>userId</c> is <paramref name="userId"/>.</summary>
    private static List<(long Offset, int Length)> FindLinesOf(string path, long length, string userId)
    {
        var found = new List<(long, int)>();
        var needle = Encoding.UTF8.GetBytes(userId);
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var line = new ArrayBufferWriter<byte>(4096);
        var buffer = new byte[1 << 16];
        long bufferStart = 0, lineStart = 0;
        int read;
        while (bufferStart < length && (read = reader.Read(buffer, 0, (int)Math.Min(buffer.Length, length - bufferStart))) > 0)
        {
            var consumed = 0;
            int newline;
            while ((newline = buffer.AsSpan(consumed, read - consumed).IndexOf((byte)'\n')) >= 0)
            {
                line.Write(buffer.AsSpan(consumed, newline));
                if (line.WrittenSpan.IndexOf(needle) >= 0 && TopLevelUserId(line.WrittenSpan) == userId)
                    found.Add((lineStart, line.WrittenCount));
                line.ResetWrittenCount();
                consumed += newline + 1;
                lineStart = bufferStart + consumed;
            }
            line.Write(buffer.AsSpan(consumed, read - consumed));
            bufferStart += read;
        }
        return found;
    }

    private static string? TopLevelUserId(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("userId"u8))
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                if (reader.CurrentDepth >= 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
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
        _actions.Dispose();
    }
}
