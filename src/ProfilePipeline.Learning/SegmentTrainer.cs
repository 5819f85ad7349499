using System.Collections.Immutable;
using Microsoft.ML;
using Microsoft.ML.Data;
using ProfilePipeline.Domain.Segments;

namespace ProfilePipeline.Learning;

/// <summary>
/// Trains the user segmentation: standardises a sample of <see cref="SegmentFeatures"/> vectors, clusters them with
/// ML.NET's KMeans (k-means++ initialisation, one thread, a fixed seed), keeps the ids of the previous version by
/// matching centroids, and names each segment from its centroid. Not thread-safe.
/// </summary>
public sealed class SegmentTrainer(int clusters, int seed = 1)
{
    private readonly MLContext _ml = new(seed);

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    public SegmentModel Train(IReadOnlyList<double[]> sample, SegmentModel? previous, DateTimeOffset now)
    {
        if (sample.Count < clusters)
            throw new ArgumentException($"{sample.Count} vectors cannot make {clusters} segments");
        var dimensions = SegmentFeatures.Count;
        var means = new double[dimensions];
        var deviations = new double[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            means[d] = sample.Average(v => v[d]);
            var variance = sample.Average(v => (v[d] - means[d]) * (v[d] - means[d]));
            deviations[d] = variance > 1e-12 ? Math.Sqrt(variance) : 1; // a constant feature stays 0 after standardising
        }
        var standardized = sample.Select(v => Enumerable.Range(0, dimensions).Select(d => (v[d] - means[d]) / deviations[d]).ToArray()).ToList();

        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        var data = _ml.Data.LoadFromEnumerable(standardized.Select(z => new Row { Features = [.. z.Select(x => (float)x)] }), schema);
        var trainer = _ml.Clustering.Trainers.KMeans(new Microsoft.ML.Trainers.KMeansTrainer.Options
        {
            FeatureColumnName = nameof(Row.Features),
            NumberOfClusters = clusters,
            NumberOfThreads = 1, // beside the pipeline on a small machine
            MaximumNumberOfIterations = 100,
        });
        var fitted = trainer.Fit(data);
        VBuffer<float>[] buffers = [];
        fitted.Model.GetClusterCentroids(ref buffers, out var k);
        var centroids = buffers.Take(k).Select(b => b.DenseValues().Select(x => (double)x).ToArray()).ToList();

        var counts = new int[k];
        foreach (var z in standardized)
            counts[Nearest(centroids, z)]++;

        var raw = centroids.Select(c => c.Select((z, d) => z * deviations[d] + means[d]).ToArray()).ToList();
        var ids = SegmentNaming.MatchIds(raw, previous);
        var names = SegmentNaming.UniqueNames(ids, [.. centroids.Select(SegmentNaming.Describe)]);
        var segments = Enumerable.Range(0, k)
            .Select(i => new Segment(ids[i], names[i], [.. centroids[i]], (double)counts[i] / sample.Count))
            .OrderBy(s => SegmentNaming.Number(s.Id));
        return new SegmentModel((previous?.Version ?? 0) + 1, [.. means], [.. deviations], [.. segments], sample.Count, now);
    }

    private static int Nearest(List<double[]> centroids, double[] z)
    {
        var best = 0;
        for (var i = 1; i < centroids.Count; i++)
        {
            if (SegmentModel.Distance(centroids[i], z) < SegmentModel.Distance(centroids[best], z))
                best = i;
        }
        return best;
    }
}
