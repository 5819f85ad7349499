using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// The open decision points' index messages in their binary layouts (what the index journals and snapshots, and what
/// crosses nodes): every field comes back exactly, the JSON layout written before still reads, a cut payload fails.
/// </summary>
public sealed class DecisionPointIndexSerializationSpecs() : TestKit(ProtocolSerializer.Configuration, "index-serialization-specs")
{
    private static readonly JsonSerializerOptions FormerJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static OpenDecisionPoint Open(int i, bool purchased) => new(
        new DecisionPoint($"user-{i}-{new string('ü', i % 3)}", $"evt-{i}", 1_767_225_600_000L + i, i % 2 == 0 ? DecisionPointSettings.CartAdd : DecisionPointSettings.SessionStart,
            [0f, -1.5f, float.Epsilon, 3.4028235e38f, 0.6931472f * i, float.NaN, float.PositiveInfinity]), purchased);

    private static readonly ImmutableArray<OpenDecisionPoint> Opened = [.. Enumerable.Range(0, 40).Select(i => Open(i, i % 3 == 0))];

    private (object Copy, string Manifest, int Bytes) RoundTrip(object message)
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<ProtocolSerializer>(serializer);
        var manifest = serializer.Manifest(message);
        var bytes = serializer.ToBinary(message);
        return (Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest), manifest, bytes.Length);
    }

    private static void AssertSame(IReadOnlyList<OpenDecisionPoint> expected, IReadOnlyList<OpenDecisionPoint> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Purchased, actual[i].Purchased);
            Assert.Equal(expected[i].Point with { Features = [] }, actual[i].Point with { Features = [] });
            Assert.Equal(expected[i].Point.Features.Select(BitConverter.SingleToInt32Bits), actual[i].Point.Features.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Index_changes_round_trip_in_the_binary_layout_field_for_field()
    {
        var updated = new DecisionPointsUpdated("kafka:events/3", Opened, ["evt-1", "evt-2"], ["evt-0", "x"]);
        var (copy, manifest, bytes) = RoundTrip(updated);
        Assert.Equal("PU2", manifest);
        var read = Assert.IsType<DecisionPointsUpdated>(copy);
        Assert.Equal(updated.Partition, read.Partition);
        AssertSame(updated.Opened, read.Opened);
        Assert.Equal<string>(updated.Purchased, read.Purchased);
        Assert.Equal<string>(updated.Closed, read.Closed);
        Assert.True(bytes * 2 < JsonSerializer.SerializeToUtf8Bytes(updated, FormerJson).Length, $"{bytes} bytes in binary");

        var update = new UpdateDecisionPoints("p", Opened[..3], [], ["evt-9"]);
        var (updateCopy, updateManifest, _) = RoundTrip(update);
        Assert.Equal("UP2", updateManifest);
        var readUpdate = Assert.IsType<UpdateDecisionPoints>(updateCopy);
        AssertSame(update.Opened, readUpdate.Opened);
        Assert.Equal((update.Partition, update.Closed.Single()), (readUpdate.Partition, readUpdate.Closed.Single()));
        Assert.Empty(readUpdate.Purchased);
    }

    [Fact]
    public void Points_as_small_as_the_layout_allows_are_not_taken_for_a_corrupt_count()
    {
        var smallest = new OpenDecisionPoint(new DecisionPoint("", "", 0, "", []), false);
        var (copy, _, _) = RoundTrip(new DecisionPointsUpdated("p", [.. Enumerable.Repeat(smallest, 50)], [], []));
        AssertSame([.. Enumerable.Repeat(smallest, 50)], Assert.IsType<DecisionPointsUpdated>(copy).Opened);
    }

    [Fact]
    public void A_page_of_open_points_round_trips_with_and_without_a_next_page()
    {
        foreach (var next in new[] { "evt-39", null, "" })
        {
            var page = new PartitionDecisionPoints("generator:seed=1", Opened) { Next = next };
            var (copy, manifest, _) = RoundTrip(page);
            Assert.Equal("PO2", manifest);
            var read = Assert.IsType<PartitionDecisionPoints>(copy);
            Assert.Equal((page.Partition, page.Next), (read.Partition, read.Next));
            AssertSame(page.Points, read.Points);
        }
    }

    [Fact]
    public void Index_journals_written_in_the_former_json_layout_still_read()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(DecisionPointsUpdated));
        var finite = Opened.Select(o => o with { Point = o.Point with { Features = [1.25f, -2f] } }).ToImmutableArray();
        var updated = new DecisionPointsUpdated("p", finite, ["evt-3"], ["evt-4"]);
        var read = Assert.IsType<DecisionPointsUpdated>(serializer.FromBinary(JsonSerializer.SerializeToUtf8Bytes(updated, FormerJson), "PU1"));
        AssertSame(updated.Opened, read.Opened);
        Assert.Equal((updated.Purchased.Single(), updated.Closed.Single()), (read.Purchased.Single(), read.Closed.Single()));

        var snapshot = new PartitionDecisionPoints("p", finite);
        var readSnapshot = Assert.IsType<PartitionDecisionPoints>(serializer.FromBinary(JsonSerializer.SerializeToUtf8Bytes(snapshot, FormerJson), "PO1"));
        AssertSame(snapshot.Points, readSnapshot.Points);
    }

    [Fact]
    public void A_cut_or_corrupt_payload_fails_with_an_error_instead_of_a_wrong_message()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(DecisionPointsUpdated));
        var bytes = serializer.ToBinary(new DecisionPointsUpdated("p", Opened, [], []));
        var cut = Record.Exception(() => serializer.FromBinary(bytes[..(bytes.Length / 2)], "PU2"));
        Assert.True(cut is EndOfStreamException or InvalidDataException, $"{cut?.GetType().Name ?? "no error"}");
        // A count far beyond the bytes left is refused before anything is allocated for it.
        byte[] hugeCount = [1, (byte)'p', 0xFF, 0xFF, 0xFF, 0xFF, 0x07];
        var error = Assert.Throws<InvalidDataException>(() => serializer.FromBinary(hugeCount, "PU2"));
        Assert.Contains("does not fit", error.Message);
    }
}
