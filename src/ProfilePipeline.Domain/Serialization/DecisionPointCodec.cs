using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Domain.Serialization;

/// <summary>
/// Binary layout of decision points and their labels, for the journal entries and messages that carry many of them
/// (the open points' index, the labels to and in the learner). A point's seventeen features take 68 bytes here
/// against some 180 as JSON text, and no float is formatted or parsed. The manifest of each message names its layout.
/// </summary>
public static class DecisionPointCodec
{
    /// <summary>The least bytes a written point takes (three empty strings, a time, an empty feature vector), to refuse corrupt counts.</summary>
    public const int MinPointBytes = 3 + sizeof(long) + 1;

    /// <summary>A point and its purchase flag.</summary>
    public const int MinOpenBytes = MinPointBytes + 1;

    /// <summary>A point, its label and when it was resolved.</summary>
    public const int MinExampleBytes = MinPointBytes + 1 + sizeof(long);

    /// <summary>The bytes <see cref="Write(BinaryWriter, DecisionPoint)"/> writes for <paramref name="point"/>, exactly.</summary>
    public static int Bytes(DecisionPoint point) =>
        StringBytes(point.UserId) + StringBytes(point.EventId) + sizeof(long) + StringBytes(point.Kind) + CountBytes(point.Features.Length)
        + sizeof(float) * point.Features.Length;

    /// <summary>The bytes a string takes as <see cref="BinaryWriter"/> writes it: its UTF-8 length as a 7-bit count, then its UTF-8 bytes.</summary>
    public static int StringBytes(string text)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(text);
        return CountBytes(length) + length;
    }

    /// <summary>
    /// At least <see cref="StringBytes"/>, from the string's length alone (no pass over its characters): a UTF-16 unit
    /// takes at most 3 UTF-8 bytes, and the count before them at most 5.
    /// </summary>
    public static int StringBytesAtMost(string text) => 5 + 3 * text.Length;

    /// <summary>At least <see cref="Bytes(DecisionPoint)"/>, from lengths alone (<see cref="StringBytesAtMost"/>).</summary>
    public static int BytesAtMost(DecisionPoint point) =>
        StringBytesAtMost(point.UserId) + StringBytesAtMost(point.EventId) + sizeof(long) + StringBytesAtMost(point.Kind) + 5 + sizeof(float) * point.Features.Length;

    /// <summary>At least <see cref="Bytes(OpenDecisionPoint)"/>.</summary>
    public static int BytesAtMost(OpenDecisionPoint open) => BytesAtMost(open.Point) + sizeof(bool);

    /// <summary>At least <see cref="Bytes(LabeledExample)"/>.</summary>
    public static int BytesAtMost(LabeledExample example) => BytesAtMost(example.Point) + sizeof(bool) + sizeof(long);

    /// <summary>The bytes of a count written as a 7-bit encoded int.</summary>
    public static int CountBytes(int count) => count < 0 ? 5 : count switch
    {
        < 1 << 7 => 1,
        < 1 << 14 => 2,
        < 1 << 21 => 3,
        < 1 << 28 => 4,
        _ => 5,
    };

    /// <summary>
    /// What <paramref name="write"/> writes, as bytes. Written into a buffer the thread keeps for the next message
    /// (<paramref name="capacity"/> sizes it at first), so that a message allocates only its bytes: a fresh buffer grew
    /// by doubling and was copied out, three to four times a message's size, for every journal entry of points.
    /// </summary>
    public static byte[] ToBytes(int capacity, Action<BinaryWriter> write)
    {
        var nested = _writing; // a message written while writing another gets a buffer of its own, not kept
        var buffer = nested ? NewBuffer(capacity) : _kept ?? NewBuffer(capacity);
        _writing = true;
        try
        {
            buffer.Stream.SetLength(0);
            write(buffer.Writer);
            buffer.Writer.Flush();
            return buffer.Stream.ToArray();
        }
        finally
        {
            if (!nested)
            {
                _writing = false;
                _kept = buffer.Stream.Capacity <= KeptBufferBytes ? buffer : null; // one grown for a snapshot is let go
            }
        }
    }

    private const int KeptBufferBytes = 1 << 20;

    /// <summary>The thread's buffer for the next message, and whether a message is being written on the thread now.</summary>
    [ThreadStatic] private static WriteBuffer? _kept;
    [ThreadStatic] private static bool _writing;

    private sealed record WriteBuffer(MemoryStream Stream, BinaryWriter Writer);

    private static WriteBuffer NewBuffer(int capacity)
    {
        var stream = new MemoryStream(Math.Clamp(capacity, 256, KeptBufferBytes));
        return new WriteBuffer(stream, new BinaryWriter(stream));
    }

    /// <summary>What <paramref name="read"/> reads from <paramref name="bytes"/>.</summary>
    public static T FromBytes<T>(byte[] bytes, Func<BinaryReader, T> read)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return read(reader);
    }

    public static void WriteFeatures(BinaryWriter w, float[] features)
    {
        w.Write7BitEncodedInt(features.Length);
        foreach (var value in features)
            w.Write(value);
    }

    public static float[] ReadFeatures(BinaryReader r)
    {
        var features = new float[Count(r, sizeof(float))];
        for (var i = 0; i < features.Length; i++)
            features[i] = r.ReadSingle();
        return features;
    }

    /// <summary>User id, event id, event time, kind and features.</summary>
    public static void Write(BinaryWriter w, DecisionPoint point)
    {
        w.Write(point.UserId);
        w.Write(point.EventId);
        w.Write(point.At);
        w.Write(point.Kind);
        WriteFeatures(w, point.Features);
    }

    public static DecisionPoint ReadPoint(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadString(), ReadFeatures(r));

    public static void Write(BinaryWriter w, OpenDecisionPoint open)
    {
        Write(w, open.Point);
        w.Write(open.Purchased);
    }

    public static OpenDecisionPoint ReadOpen(BinaryReader r) => new(ReadPoint(r), r.ReadBoolean());

    /// <summary>The bytes <see cref="Write(BinaryWriter, OpenDecisionPoint)"/> writes: the point and its flag.</summary>
    public static int Bytes(OpenDecisionPoint open) => Bytes(open.Point) + sizeof(bool);

    public static void Write(BinaryWriter w, LabeledExample example)
    {
        Write(w, example.Point);
        w.Write(example.Purchased);
        w.Write(example.ResolvedAt);
    }

    public static LabeledExample ReadExample(BinaryReader r) => new(ReadPoint(r), r.ReadBoolean(), r.ReadInt64());

    /// <summary>The bytes <see cref="Write(BinaryWriter, LabeledExample)"/> writes: the point, its label and when it was resolved.</summary>
    public static int Bytes(LabeledExample example) => Bytes(example.Point) + sizeof(bool) + sizeof(long);

    /// <summary>A count, then each item.</summary>
    public static void WriteAll<T>(BinaryWriter w, IReadOnlyCollection<T> items, Action<BinaryWriter, T> write)
    {
        w.Write7BitEncodedInt(items.Count);
        foreach (var item in items)
            write(w, item);
    }

    /// <summary>
    /// Items written by <see cref="WriteAll{T}"/>; each takes at least <paramref name="minBytes"/>, so a corrupt count
    /// fails here rather than in a huge allocation.
    /// </summary>
    public static T[] ReadAll<T>(BinaryReader r, Func<BinaryReader, T> read, int minBytes = 1)
    {
        var items = new T[Count(r, minBytes)];
        for (var i = 0; i < items.Length; i++)
            items[i] = read(r);
        return items;
    }

    private static int Count(BinaryReader r, int minBytes)
    {
        var count = r.Read7BitEncodedInt();
        var left = r.BaseStream.Length - r.BaseStream.Position;
        if (count < 0 || (long)count * minBytes > left)
            throw new InvalidDataException($"a count of {count} items of at least {minBytes} bytes each does not fit in the {left} bytes left");
        return count;
    }
}
