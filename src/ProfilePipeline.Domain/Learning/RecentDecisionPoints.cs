namespace ProfilePipeline.Domain.Learning;

/// <summary>
/// The most recent decision points of one user, newest last, at most <c>capacity</c>: kept by the user's entity so
/// that an event it is given again (a replay after a crash that cut the stream between the entity's write and the
/// label stage's) comes back with the decision point it took, features as they were then. Without it the point
/// would be lost: a replayed event is not applied again, so no point is taken again.
/// </summary>
public sealed class RecentDecisionPoints(int capacity = RecentDecisionPoints.DefaultCapacity)
{
    public const int DefaultCapacity = 32;
    private readonly Queue<DecisionPoint> _points = new();

    public int Count => _points.Count;

    /// <summary>The event time of the newest point, null if there is none.</summary>
    public long? NewestAt { get; private set; }

    public void Add(DecisionPoint point)
    {
        _points.Enqueue(point);
        NewestAt = point.At;
        while (_points.Count > capacity)
            _points.Dequeue();
    }

    /// <summary>The point the event took, if it took one and is among the most recent.</summary>
    public DecisionPoint? Find(string eventId) => _points.FirstOrDefault(p => p.EventId == eventId);

    public void Clear()
    {
        _points.Clear();
        NewestAt = null;
    }

    /// <summary>Layout 1: count, then per point event id, time, kind, and its features; the user is the entity's.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)1);
            writer.Write(_points.Count);
            foreach (var point in _points)
            {
                writer.Write(point.EventId);
                writer.Write(point.At);
                writer.Write(point.Kind);
                writer.Write(point.Features.Length);
                foreach (var value in point.Features)
                    writer.Write(value);
            }
        }
        return stream.ToArray();
    }

    public static RecentDecisionPoints FromBytes(string userId, ReadOnlySpan<byte> bytes, int capacity = DefaultCapacity)
    {
        var recent = new RecentDecisionPoints(capacity);
        if (bytes.IsEmpty)
            return recent;
        using var reader = new BinaryReader(new MemoryStream(bytes.ToArray()));
        var layout = reader.ReadByte();
        if (layout != 1)
            throw new InvalidDataException($"unknown recent decision points layout {layout}");
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var (eventId, at, kind) = (reader.ReadString(), reader.ReadInt64(), reader.ReadString());
            var features = new float[reader.ReadInt32()];
            for (var f = 0; f < features.Length; f++)
                features[f] = reader.ReadSingle();
            recent.Add(new DecisionPoint(userId, eventId, at, kind, features));
        }
        return recent;
    }
}
