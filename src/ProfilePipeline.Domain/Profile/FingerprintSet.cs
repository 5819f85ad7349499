namespace ProfilePipeline.Domain.Profile;

/// <summary>A sorted set of 64-bit fingerprints that stops growing at its capacity (then counts stay at the cap).</summary>
internal sealed class FingerprintSet(int capacity, List<ulong> items)
{
    public FingerprintSet(int capacity) : this(capacity, [])
    {
    }

    public int Count => items.Count;

    public FingerprintSet Clone() => new(capacity, [.. items]);

    public void Add(ulong fingerprint)
    {
        if (items.Count >= capacity)
            return;
        var position = items.BinarySearch(fingerprint);
        if (position < 0)
            items.Insert(~position, fingerprint);
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(items.Count);
        foreach (var item in items)
            writer.Write(item);
    }

    public static FingerprintSet ReadFrom(BinaryReader reader, int capacity)
    {
        var n = reader.ReadInt32();
        var items = new List<ulong>(n);
        for (var i = 0; i < n; i++)
            items.Add(reader.ReadUInt64());
        return new FingerprintSet(capacity, items);
    }
}
