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
}
