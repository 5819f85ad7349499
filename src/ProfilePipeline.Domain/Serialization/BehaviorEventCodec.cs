using System.Collections.Immutable;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Serialization;

/// <summary>
/// Binary layout of persisted behaviour events and journal entries. Every payload starts with a layout
/// version byte; readers for older layouts stay when the layout changes, so old journals keep replaying.
/// </summary>
public static class BehaviorEventCodec
{
    public const byte CodecVersion = 1;

    public static byte[] ToBytes(BehaviorsRecorded recorded)
    {
        using var stream = new MemoryStream(64 + recorded.Events.Length * 96);
        using (var w = new BinaryWriter(stream))
        {
            w.Write(CodecVersion);
            w.Write(recorded.SourceMarks.Length);
            foreach (var mark in recorded.SourceMarks)
            {
                w.Write(mark.SourceId);
                w.Write(mark.Offset);
            }
            w.Write(recorded.Events.Length);
            foreach (var e in recorded.Events)
                Write(w, e);
        }
        return stream.ToArray();
    }

    public static BehaviorsRecorded BehaviorsRecordedFromBytes(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        RequireVersion(r.ReadByte());
        var marks = ImmutableArray.CreateBuilder<SourcePosition>(r.ReadInt32());
        for (var i = 0; i < marks.Capacity; i++)
            marks.Add(new SourcePosition(r.ReadString(), r.ReadInt64()));
        var events = ImmutableArray.CreateBuilder<BehaviorEvent>(r.ReadInt32());
        for (var i = 0; i < events.Capacity; i++)
            events.Add(Read(r));
        return new BehaviorsRecorded(events.MoveToImmutable(), marks.MoveToImmutable());
    }

    public static void Write(BinaryWriter w, BehaviorEvent e)
    {
        w.Write(e.EventId);
        w.Write(e.UserId);
        w.Write((byte)e.Type);
        w.Write(e.Timestamp);
        WriteOptional(w, e.ItemId);
        WriteOptional(w, e.CategoryId);
        WriteOptional(w, e.Brand);
        w.Write(e.Price.HasValue);
        if (e.Price.HasValue)
            w.Write(e.Price.Value);
        w.Write7BitEncodedInt(e.Quantity);
        WriteOptional(w, e.Query);
        WriteOptional(w, e.SessionId);
        WriteOptional(w, e.Device);
        w.Write7BitEncodedInt(e.Attributes.Count);
        foreach (var (key, value) in e.Attributes)
        {
            w.Write(key);
            w.Write(value);
        }
        w.Write(e.Position.SourceId);
        w.Write(e.Position.Offset);
    }

    public static BehaviorEvent Read(BinaryReader r)
    {
        var eventId = r.ReadString();
        var userId = r.ReadString();
        var type = (BehaviorType)r.ReadByte();
        var timestamp = r.ReadInt64();
        var itemId = ReadOptional(r);
        var categoryId = ReadOptional(r);
        var brand = ReadOptional(r);
        decimal? price = r.ReadBoolean() ? r.ReadDecimal() : null;
        var quantity = r.Read7BitEncodedInt();
        var query = ReadOptional(r);
        var sessionId = ReadOptional(r);
        var device = ReadOptional(r);
        var attributeCount = r.Read7BitEncodedInt();
        var attributes = BehaviorEvent.NoAttributes;
        if (attributeCount > 0)
        {
            var builder = attributes.ToBuilder();
            for (var i = 0; i < attributeCount; i++)
                builder[r.ReadString()] = r.ReadString();
            attributes = builder.ToImmutable();
        }
        var position = new SourcePosition(r.ReadString(), r.ReadInt64());
        return new BehaviorEvent(eventId, userId, type, timestamp, itemId, categoryId, brand, price, quantity, query,
            sessionId, device, attributes, position);
    }

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
            w.Write(value);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void RequireVersion(byte version)
    {
        if (version != CodecVersion)
            throw new InvalidDataException($"behaviour event layout {version} is not known (this build reads {CodecVersion})");
    }
}
