namespace ProfilePipeline.Domain.Profile;

/// <summary>The fingerprints of a user's most recent event ids, oldest overwritten first.</summary>
internal sealed class RecentIdRing(ulong[] slots, int next, int count)
{
    public RecentIdRing(int capacity) : this(new ulong[capacity], 0, 0)
    {
    }

    public RecentIdRing Clone() => new((ulong[])slots.Clone(), next, count);

    public bool Contains(ulong fingerprint)
    {
        for (var i = 0; i < count; i++)
        {
            if (slots[i] == fingerprint)
                return true;
        }
        return false;
    }

    public void Add(ulong fingerprint)
    {
        slots[next] = fingerprint;
        next = (next + 1) % slots.Length;
        count = Math.Min(count + 1, slots.Length);
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(count);
        // Oldest first, so that a reader with another capacity keeps the newest.
        for (var i = 0; i < count; i++)
            writer.Write(slots[(next - count + i + slots.Length) % slots.Length]);
    }

    public static RecentIdRing ReadFrom(BinaryReader reader, int capacity)
    {
        var ring = new RecentIdRing(capacity);
        var n = reader.ReadInt32();
        for (var i = 0; i < n; i++)
            ring.Add(reader.ReadUInt64());
        return ring;
    }
}
