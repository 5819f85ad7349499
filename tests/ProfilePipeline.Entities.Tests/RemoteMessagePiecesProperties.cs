using System.Collections.Immutable;
using CsCheck;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// A large update in pieces for the remote transport: the pieces, applied in order, hold exactly the update's entries
/// and ids in order, each piece within the limit (an item larger than the limit alone), and no piece ends early.
/// </summary>
public sealed class RemoteMessagePiecesProperties
{
    private sealed record Piece(ImmutableArray<string> Entries, ImmutableArray<string> First, ImmutableArray<string> Second);

    private static readonly Gen<string[]> Items = Gen.String[Gen.Char.AlphaNumeric, 0, 40].Array[0, 30];

    [Fact]
    public void Pieces_hold_the_update_in_order_each_within_the_limit_and_each_as_full_as_the_next_item_allows()
    {
        Gen.Select(Items, Items, Items, Gen.Int[1, 120]).Sample((entries, first, second, maxBytes) =>
        {
            static int Bytes(string item) => item.Length + 1;
            var pieces = RemoteMessageLimits.InPieces(entries, Bytes, first, second, (e, f, s) => new Piece(e, f, s), maxBytes, Bytes).ToList();

            Assert.Equal(entries, pieces.SelectMany(p => p.Entries));
            Assert.Equal(first, pieces.SelectMany(p => p.First));
            Assert.Equal(second, pieces.SelectMany(p => p.Second));
            var sizes = pieces.Select(p => p.Entries.Concat(p.First).Concat(p.Second).Select(Bytes).ToList()).ToList();
            Assert.All(sizes, size => Assert.True(size.Count > 0 && (size.Sum() <= maxBytes || size.Count == 1)));
            for (var k = 0; k + 1 < sizes.Count; k++)
                Assert.True(sizes[k].Sum() + sizes[k + 1][0] > maxBytes, "a piece ended before it was full");
            if (entries.Length + first.Length + second.Length == 0)
                Assert.Empty(pieces);
        });
    }

    [Fact]
    public void With_bounds_an_update_they_fit_in_one_piece_goes_whole_and_any_other_is_cut_as_without_them()
    {
        Gen.Select(Items, Items, Items, Gen.Int[1, 400], Gen.Int[0, 3]).Sample((entries, first, second, maxBytes, slack) =>
        {
            static int Bytes(string item) => item.Length + 1;
            int AtMost(string item) => Bytes(item) + slack; // a bound above the bytes, as the codec's from lengths
            Piece Make(ImmutableArray<string> e, ImmutableArray<string> f, ImmutableArray<string> s) => new(e, f, s);
            var pieces = RemoteMessageLimits.InPieces(entries, Bytes, first, second, Make, maxBytes, Bytes, (AtMost, AtMost)).ToList();

            var all = entries.Concat(first).Concat(second).ToList();
            if (all.Count == 0)
                Assert.Empty(pieces);
            else if (all.Sum(AtMost) <= maxBytes)
                Assert.Equal([new Piece([.. entries], [.. first], [.. second])], pieces, (a, b) =>
                    a.Entries.SequenceEqual(b.Entries) && a.First.SequenceEqual(b.First) && a.Second.SequenceEqual(b.Second));
            else
                Assert.Equal(RemoteMessageLimits.InPieces(entries, Bytes, first, second, Make, maxBytes, Bytes).Select(p => (p.Entries.Length, p.First.Length, p.Second.Length)),
                    pieces.Select(p => (p.Entries.Length, p.First.Length, p.Second.Length)));
            var packed = RemoteMessageLimits.Pack(all, Bytes, AtMost, maxBytes).ToList();
            Assert.Equal(all, packed.SelectMany(run => run));
            Assert.All(packed, run => Assert.True(run.Sum(Bytes) <= maxBytes || run.Count == 1));
        });
    }
}
