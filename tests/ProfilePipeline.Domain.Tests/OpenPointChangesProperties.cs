using CsCheck;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Domain.Tests;

/// <summary>Several batches' changes to a partition's open points, merged into one write, change them as the batches would one by one.</summary>
public sealed class OpenPointChangesProperties
{
    private static OpenDecisionPoint Open(int id, bool purchased, int version) =>
        new(new DecisionPoint("u", $"e{id}", id, DecisionPointSettings.CartAdd, [version]), purchased);

    /// <summary>The partition's index as it applies an update (the rule the index actor applies).</summary>
    private static void Apply(Dictionary<string, OpenDecisionPoint> index, OpenPointChanges changes) =>
        OpenPointChanges.Apply(index, changes.Opened, changes.Purchased, changes.Closed);

    private static readonly Gen<OpenPointChanges> Changes =
        Gen.Select(Gen.Int[0, 1], Gen.Select(Gen.Int[0, 7], Gen.Bool, Gen.Int[0, 3]).Array[0, 4], Gen.Int[0, 7].Array[0, 4], Gen.Int[0, 7].Array[0, 4])
            .Select((partition, opened, purchased, closed) => new OpenPointChanges($"p{partition}",
                [.. opened.DistinctBy(o => o.Item1).Select(o => Open(o.Item1, o.Item2, o.Item3))],
                [.. purchased.Distinct().Select(id => $"e{id}")], [.. closed.Distinct().Select(id => $"e{id}")]));

    [Fact]
    public void Merged_changes_leave_every_partition_as_the_changes_applied_one_by_one()
    {
        Gen.Select(Gen.Int[0, 7].Array[0, 8], Changes.Array[0, 12]).Sample((before, sequence) =>
        {
            var oneByOne = new Dictionary<string, Dictionary<string, OpenDecisionPoint>>();
            var merged = new Dictionary<string, Dictionary<string, OpenDecisionPoint>>();
            foreach (var partition in new[] { "p0", "p1" })
            {
                oneByOne[partition] = before.Distinct().ToDictionary(id => $"e{id}", id => Open(id, false, 9));
                merged[partition] = new Dictionary<string, OpenDecisionPoint>(oneByOne[partition]);
            }
            foreach (var changes in sequence)
                Apply(oneByOne[changes.Partition], changes);
            var writes = OpenPointChanges.Merge(sequence);
            Assert.Equal(writes.Count, writes.Select(w => w.Partition).Distinct().Count());
            foreach (var write in writes)
                Apply(merged[write.Partition], write);

            foreach (var partition in oneByOne.Keys)
            {
                Assert.Equal(
                    oneByOne[partition].OrderBy(p => p.Key).Select(p => (p.Key, p.Value.Purchased, p.Value.Point.Features[0])),
                    merged[partition].OrderBy(p => p.Key).Select(p => (p.Key, p.Value.Purchased, p.Value.Point.Features[0])));
            }
        });
    }
}
