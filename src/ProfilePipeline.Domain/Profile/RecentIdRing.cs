namespace ProfilePipeline.Domain.Profile;

/// <summary>
/// The fingerprints of a user's most recent event ids, oldest overwritten first. The array grows with the user's
/// events up to the capacity, so that a user with a handful of events does not carry a full ring.
/// </summary>
internal sealed class RecentIdRing
{
    private readonly int _capacity;
    private ulong[] _slots;
    private int _next;
    private int _count;

    public RecentIdRing(int capacity) : this(capacity, [], 0, 0)
    {
    }

    private RecentIdRing(int capacity, ulong[] slots, int next, int count)
    {
        _capacity = capacity;
        _slots = slots;
        _next = next;
        _count = count;
    }

    public RecentIdRing Clone() => new(_capacity, (ulong[])_slots.Clone(), _next, _count);

    public bool Contains(ulong fingerprint)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_slots[i] == fingerprint)
                return true;
        }
        return false;
    }

    public void Add(ulong fingerprint)
    {
        if (_count < _capacity)
        {
            // Still filling: append, growing the array geometrically up to the capacity.
            if (_count == _slots.Length)
                Array.Resize(ref _slots, Math.Min(_capacity, Math.Max(4, _slots.Length * 2)));
            _slots[_count++] = fingerprint;
            _next = _count % _capacity;
            return;
        }
        _slots[_next] = fingerprint;
        _next = (_next + 1) % _capacity;
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_count);
        // Oldest first, so that a reader with another capacity keeps the newest.
        for (var i = 0; i < _count; i++)
            writer.Write(_slots[(_next - _count + i + _capacity) % _capacity]);
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
