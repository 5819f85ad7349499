using System.Collections.Immutable;
using System.Text.Json;

namespace ProfilePipeline.Streams;

/// <summary>
/// How far each source has been processed completely (persisted by its entity and its outputs written), and
/// the output files' lengths at that moment. A restart truncates the outputs to those lengths and resumes
/// after the offsets, so a crash neither loses nor repeats an output line before the checkpoint.
/// </summary>
public sealed record Checkpoint(long ProfilesBytes, long DeadLettersBytes, ImmutableSortedDictionary<string, long> Sources)
{
    /// <summary>The length of <c>actions.jsonl</c> (0 in checkpoints written before it existed).</summary>
    public long ActionsBytes { get; init; }

    public static readonly Checkpoint Empty = new(0, 0, ImmutableSortedDictionary<string, long>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>The last completed offset of a source, or -1 when nothing of it was processed.</summary>
    public long OffsetOf(string sourceId) => Sources.GetValueOrDefault(sourceId, -1);
}

/// <summary>Reads and atomically replaces <c>checkpoint.json</c> in the data folder.</summary>
public sealed class CheckpointStore(string path)
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public string Path { get; } = path;

    public Checkpoint Load()
    {
        if (!File.Exists(Path))
            return Checkpoint.Empty;
        try
        {
            var stored = JsonSerializer.Deserialize<StoredCheckpoint>(File.ReadAllBytes(Path))
                         ?? throw new InvalidDataException("empty checkpoint");
            return new Checkpoint(stored.ProfilesBytes, stored.DeadLettersBytes,
                (stored.Sources ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal)) { ActionsBytes = stored.ActionsBytes };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path} is not a valid checkpoint ({e.Message}); move it away to reprocess from the start", e);
        }
    }

    public void Save(Checkpoint checkpoint)
    {
        var temporary = Path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(
            new StoredCheckpoint(checkpoint.ProfilesBytes, checkpoint.DeadLettersBytes, checkpoint.Sources.ToDictionary(), checkpoint.ActionsBytes), Options));
        File.Move(temporary, Path, overwrite: true);
    }

    private sealed record StoredCheckpoint(long ProfilesBytes, long DeadLettersBytes, Dictionary<string, long>? Sources, long ActionsBytes = 0);
}
