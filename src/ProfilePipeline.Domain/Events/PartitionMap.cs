namespace ProfilePipeline.Domain.Events;

/// <summary>
/// What a stage keeps per input partition, looked up per record by the partition's name. Records come in runs of one
/// partition whose name is one string (<see cref="SourcePosition.SourceId"/>), so the entry found last is kept by
/// reference and a run is looked up without hashing the name again. Single-threaded.
/// </summary>
public sealed class PartitionMap<T> where T : class
{
    private readonly Dictionary<string, T> _byName = new(StringComparer.Ordinal);
    private (string? Name, T? Value) _last;

    /// <summary>Every partition's value.</summary>
    public Dictionary<string, T>.ValueCollection Values => _byName.Values;

    /// <summary>Every partition with its value.</summary>
    public IReadOnlyDictionary<string, T> All => _byName;

    /// <summary>The partition's value; null when it has none.</summary>
    public T? Find(string partition)
    {
        if (ReferenceEquals(partition, _last.Name))
            return _last.Value;
        if (!_byName.TryGetValue(partition, out var value))
            return null;
        _last = (partition, value);
        return value;
    }

    public void Set(string partition, T value)
    {
        _byName[partition] = value;
        _last = (partition, value);
    }

    public bool Remove(string partition)
    {
        _last = default;
        return _byName.Remove(partition);
    }
}
