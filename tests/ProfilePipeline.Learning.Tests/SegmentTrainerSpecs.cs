using ProfilePipeline.Domain.Segments;

namespace ProfilePipeline.Learning.Tests;

/// <summary>KMeans segments: found where the users are, kept under the same ids across retrains, named from their centroids.</summary>
public sealed class SegmentTrainerSpecs
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Raw vectors (events, purchases, spend, cart adds, categories, before the log) of three kinds of user.</summary>
    private static readonly (string Kind, double[] Mean)[] Kinds =
    [
        ("big buyers", [200, 12, 900, 20, 9]),
        ("browsers", [120, 0, 0, 1, 2]),
        ("rare visitors", [3, 0, 0, 0, 1]),
    ];

    private static List<(string Kind, double[] Vector)> Sample(int perKind, int seed)
    {
        var random = new Random(seed);
        var sample = new List<(string, double[])>();
        foreach (var (kind, mean) in Kinds)
        {
            for (var i = 0; i < perKind; i++)
                sample.Add((kind, [.. mean.Select(m => Math.Log(1 + m * (0.8 + 0.4 * random.NextDouble())))]));
        }
        return [.. sample.OrderBy(_ => random.Next())];
    }

    [Fact]
    public void Segments_follow_the_users_keep_their_ids_across_retrains_and_are_named_from_their_centroids()
    {
        var trainer = new SegmentTrainer(clusters: 3);
        var first = Sample(400, seed: 1);
        var v1 = trainer.Train([.. first.Select(s => s.Vector)], null, Now);

        // Each kind of user lands in one segment of its own.
        var segmentOfKind = first.GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.Select(s => v1.Nearest(v1.Standardize(s.Vector)).Id).Distinct().Single());
        Assert.Equal(3, segmentOfKind.Values.Distinct().Count());
        Assert.All(v1.Segments, s => Assert.Equal(1.0 / 3, s.Share, 2));
        var names = v1.Segments.ToDictionary(s => s.Id, s => s.Name);
        Assert.Contains("buyers", names[segmentOfKind["big buyers"]]);
        Assert.Contains("high-spend", names[segmentOfKind["big buyers"]]);
        Assert.StartsWith("occasional", names[segmentOfKind["rare visitors"]]);
        Assert.Contains("browsers", names[segmentOfKind["browsers"]]);

        // A retrain on a new sample of the same users, shuffled differently: every kind keeps its segment id.
        var second = Sample(300, seed: 2);
        var v2 = trainer.Train([.. second.Select(s => s.Vector)], v1, Now.AddHours(1));
        Assert.Equal(2, v2.Version);
        foreach (var (kind, vector) in second)
            Assert.Equal(segmentOfKind[kind], v2.Nearest(v2.Standardize(vector)).Id);
    }

    [Fact]
    public void Ids_are_matched_closest_pair_first_and_new_centroids_get_fresh_ids()
    {
        var previous = new SegmentModel(1, [0, 0, 0, 0, 0], [1, 1, 1, 1, 1],
            [new Segment("s1", "a", [0, 0, 0, 0, 0], 0.5), new Segment("s2", "b", [5, 5, 5, 5, 5], 0.5)], 100, Now);
        double[][] centroids = [[5.1, 5, 5, 5, 5], [9, 9, 9, 9, 9], [0.2, 0, 0, 0, 0]];
        Assert.Equal(["s2", "s3", "s1"], SegmentNaming.MatchIds(centroids, previous));
        Assert.Equal(["s1", "s2", "s3"], SegmentNaming.MatchIds(centroids, null));
        Assert.Equal(["frequent browsers", "frequent browsers 2", "occasional buyers"],
            SegmentNaming.UniqueNames(["s1", "s2", "s3"], ["frequent browsers", "frequent browsers", "occasional buyers"]));
    }
}
