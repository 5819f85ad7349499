using System.Collections.Immutable;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Segments;

/// <summary>
/// The features users are clustered on, from a profile: how active, how often buying, how much spent, how many carts,
/// how broad, in the last 30 days. Counts and money as log(1 + x), so that a few heavy users do not make the clusters.
/// </summary>
public static class SegmentFeatures
{
    public const int Activity = 0;
    public const int Purchases = 1;
    public const int Spend = 2;
    public const int CartAdds = 3;
    public const int Breadth = 4;

    public static readonly ImmutableArray<string> Names = ["events30d", "purchases30d", "spend30d", "cartAdds30d", "distinctCategories"];

    public static int Count => Names.Length;

    public static double[] Vector(ProfileFeatures f)
    {
        var w = f.Last30d;
        return
        [
            Math.Log(1 + w.Events),
            Math.Log(1 + w.Purchases),
            Math.Log(1 + (double)w.Spend),
            Math.Log(1 + w.CartAdds),
            Math.Log(1 + f.DistinctCategories),
        ];
    }
}

/// <summary>One segment: a stable id, a description in words, its centroid (standardised) and its share of the sample.</summary>
public sealed record Segment(string Id, string Name, ImmutableArray<double> Centroid, double Share);

/// <summary>
/// A version of the user segmentation: the standardisation of <see cref="SegmentFeatures"/> and the segments'
/// centroids. Users are assigned to the nearest centroid. Pure; trained by the learning project's KMeans.
/// </summary>
public sealed record SegmentModel(int Version, ImmutableArray<double> Means, ImmutableArray<double> Deviations, ImmutableArray<Segment> Segments,
    long TrainedOn, DateTimeOffset TrainedAt)
{
    public double[] Standardize(double[] raw)
    {
        var z = new double[raw.Length];
        for (var i = 0; i < raw.Length; i++)
            z[i] = (raw[i] - Means[i]) / Deviations[i];
        return z;
    }

    /// <summary>A segment's centroid in the features' own units (log scale), comparable across versions.</summary>
    public double[] RawCentroid(Segment segment) => [.. segment.Centroid.Select((z, i) => z * Deviations[i] + Means[i])];

    public Segment Assign(ProfileFeatures features) => Nearest(Standardize(SegmentFeatures.Vector(features)));

    public Segment Nearest(double[] standardized)
    {
        var best = Segments[0];
        var bestDistance = double.MaxValue;
        foreach (var segment in Segments)
        {
            var d = Distance(segment.Centroid.AsSpan(), standardized);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = segment;
            }
        }
        return best;
    }

    public static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        return sum;
    }
}

/// <summary>
/// Keeps segment ids stable across retrains and names segments from their centroids.
/// </summary>
public static class SegmentNaming
{
    /// <summary>The number of a segment id: 3 for s3.</summary>
    public static int Number(string id) => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Gives each new centroid the id of the previous segment it is closest to (in the features' own units, since each
    /// version standardises differently), closest pairs first, each previous id used once; centroids left over get
    /// fresh ids (<c>s{n}</c>, after the highest id the previous version used).
    /// </summary>
    public static string[] MatchIds(IReadOnlyList<double[]> rawCentroids, SegmentModel? previous)
    {
        var ids = new string[rawCentroids.Count];
        var next = 1;
        if (previous is not null)
        {
            next = previous.Segments.Max(s => Number(s.Id)) + 1;
            var pairs = (from n in Enumerable.Range(0, rawCentroids.Count)
                         from p in previous.Segments
                         select (New: n, Old: p.Id, Distance: SegmentModel.Distance(rawCentroids[n], previous.RawCentroid(p))))
                .OrderBy(x => x.Distance).ThenBy(x => x.New).ThenBy(x => x.Old, StringComparer.Ordinal);
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (n, old, _) in pairs)
            {
                if (ids[n] is null && taken.Add(old))
                    ids[n] = old;
            }
        }
        for (var n = 0; n < ids.Length; n++)
            ids[n] ??= "s" + (next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ids;
    }

    /// <summary>
    /// A description from a standardised centroid: how often (frequent, regular, occasional), how much they spend (high-,
    /// low-spend), what they do (buyers, cart fillers, browsers), and how broad (across many categories, in few).
    /// </summary>
    public static string Describe(IReadOnlyList<double> z)
    {
        const double high = 0.5, low = -0.5;
        var words = new List<string>
        {
            z[SegmentFeatures.Activity] >= high ? "frequent" : z[SegmentFeatures.Activity] <= low ? "occasional" : "regular",
        };
        if (z[SegmentFeatures.Spend] >= high)
            words.Add("high-spend");
        else if (z[SegmentFeatures.Spend] <= low)
            words.Add("low-spend");
        words.Add(z[SegmentFeatures.Purchases] >= high ? "buyers" : z[SegmentFeatures.CartAdds] >= high ? "cart fillers" : "browsers");
        if (z[SegmentFeatures.Breadth] >= high)
            words.Add("across many categories");
        else if (z[SegmentFeatures.Breadth] <= low)
            words.Add("in few categories");
        return string.Join(' ', words);
    }

    /// <summary>Descriptions made unique by numbering repeats in id order ("frequent browsers", "frequent browsers 2").</summary>
    public static string[] UniqueNames(IReadOnlyList<string> ids, IReadOnlyList<string> names)
    {
        var result = new string[names.Count];
        foreach (var group in Enumerable.Range(0, names.Count).GroupBy(i => names[i], StringComparer.Ordinal))
        {
            var n = 0;
            foreach (var i in group.OrderBy(i => Number(ids[i])))
                result[i] = n++ == 0 ? names[i] : $"{names[i]} {n}";
        }
        return result;
    }
}
