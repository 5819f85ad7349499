using CsCheck;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Domain.Tests;

/// <summary>
/// The codec's count of a point's bytes is what it writes: the stages cut their messages to the remoting frame by it, so
/// a count too small would let a message past the frame (dropped by the transport), one too large would only waste.
/// </summary>
public sealed class DecisionPointCodecProperties
{
    // Ids from empty to past the one-byte length prefix (127 bytes), with characters of one to four UTF-8 bytes.
    private static readonly Gen<string> Text = Gen.OneOf(Gen.Const('a'), Gen.Const('é'), Gen.Const('€'), Gen.Const("😀"[0]), Gen.Char.AlphaNumeric)
        .Array[0, 200].Select(chars => new string(chars));

    private static readonly Gen<string> Id = Gen.OneOf(Text, Gen.Const("😀 user"), Gen.Const(new string('f', 200)));

    private static readonly Gen<DecisionPoint> Point = Gen.Select(Id, Id, Gen.Long, Id, Gen.Float.Array[0, 40])
        .Select((user, eventId, at, kind, features) => new DecisionPoint(user, eventId, at, kind, features));

    [Fact]
    public void A_points_counted_bytes_are_the_bytes_written()
    {
        Point.Sample(point =>
        {
            var written = DecisionPointCodec.ToBytes(16, w => DecisionPointCodec.Write(w, point));
            var open = new OpenDecisionPoint(point, true);
            var example = new LabeledExample(point, false, point.At);

            Assert.Equal(written.Length, DecisionPointCodec.Bytes(point));
            Assert.Equal(DecisionPointCodec.ToBytes(16, w => DecisionPointCodec.Write(w, open)).Length, DecisionPointCodec.Bytes(open));
            Assert.Equal(DecisionPointCodec.ToBytes(16, w => DecisionPointCodec.Write(w, example)).Length, DecisionPointCodec.Bytes(example));
        });
    }

    [Fact]
    public void A_strings_counted_bytes_are_the_bytes_written()
    {
        Id.Sample(text =>
        {
            var written = DecisionPointCodec.ToBytes(16, w => w.Write(text));

            Assert.Equal(written.Length, DecisionPointCodec.StringBytes(text));
        });
    }

    [Fact]
    public void The_bounds_from_lengths_are_never_below_the_bytes_written()
    {
        Point.Sample(point =>
        {
            Assert.True(DecisionPointCodec.StringBytesAtMost(point.EventId) >= DecisionPointCodec.StringBytes(point.EventId), point.EventId);
            Assert.True(DecisionPointCodec.BytesAtMost(point) >= DecisionPointCodec.Bytes(point));
            Assert.True(DecisionPointCodec.BytesAtMost(new OpenDecisionPoint(point, true)) >= DecisionPointCodec.Bytes(new OpenDecisionPoint(point, true)));
            var example = new LabeledExample(point, true, point.At);
            Assert.True(DecisionPointCodec.BytesAtMost(example) >= DecisionPointCodec.Bytes(example));
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16_383)]
    [InlineData(16_384)]
    [InlineData(2_097_152)]
    [InlineData(int.MaxValue)]
    public void A_counts_bytes_are_the_bytes_written(int count)
    {
        var written = DecisionPointCodec.ToBytes(8, w => w.Write7BitEncodedInt(count));

        Assert.Equal(written.Length, DecisionPointCodec.CountBytes(count));
    }

    [Fact]
    public void Messages_written_after_and_within_one_another_on_a_thread_are_each_whole()
    {
        // The thread's kept buffer: a message written while another is (a serializer calling another) gets its own.
        var outer = DecisionPointCodec.ToBytes(8, w =>
        {
            w.Write("outer");
            var inner = DecisionPointCodec.ToBytes(8, inner => inner.Write("inner"));
            w.Write(inner.Length);
            w.Write(inner);
            w.Write(7L);
        });
        var (first, inner, last) = DecisionPointCodec.FromBytes(outer, r => (r.ReadString(), r.ReadBytes(r.ReadInt32()), r.ReadInt64()));
        Assert.Equal(("outer", "inner", 7L), (first, DecisionPointCodec.FromBytes(inner, r => r.ReadString()), last));

        // A large message (a snapshot) and the small ones after it: each only its own bytes.
        Assert.Equal(3_000_000, DecisionPointCodec.ToBytes(8, w => w.Write(new byte[3_000_000])).Length);
        Assert.Equal([1, 0, 0, 0], DecisionPointCodec.ToBytes(8, w => w.Write(1)));
        Assert.Equal([2, 0, 0, 0], DecisionPointCodec.ToBytes(8, w => w.Write(2)));
    }
}
