using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Domain.Segments;

namespace ProfilePipeline.Streams;

/// <summary>
/// Scores each profile update with the model current when its batch arrives, and assigns its segment with the
/// segmentation current then. Both are read once per batch, so a swap lands between batches, never inside one. A
/// share of the updates' segment vectors is sampled for the segmentation singleton.
/// </summary>
public static class ScoreStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(ProfileScorer scorer, ModelHolder models, int maxBatch, SegmentScoring? segments = null) =>
        Flow.Create<PipelineItem>()
            .Batch(maxBatch, item => new List<PipelineItem> { item }, (list, item) => { list.Add(item); return list; })
            .StatefulSelectMany<PipelineItem, List<PipelineItem>, PipelineItem, NotUsed>(() =>
            {
                var sampled = new List<(string, double[])>();
                return batch =>
                {
                    var model = models.Current;
                    var segmentation = segments?.Segments.Current;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        if (batch[i].Features is not { } features)
                            continue;
                        var profile = Score(scorer, features, batch[i].Attributes, model, segmentation);
                        if (segments?.Samples is not null && Sampled(features.UserId, features.ProfileVersion, segments.SampleRate))
                            sampled.Add((features.UserId, SegmentFeatures.Vector(features)));
                        batch[i] = batch[i] with { Profile = profile };
                    }
                    if (sampled.Count >= (segments?.SampleBatch ?? int.MaxValue))
                    {
                        segments!.Samples!.Publish([.. sampled]);
                        sampled.Clear();
                    }
                    return batch;
                };
            });

    /// <summary>One profile scored with <paramref name="model"/> and assigned its segment in <paramref name="segmentation"/> (none: no segment).</summary>
    public static ScoredProfile Score(ProfileScorer scorer, Domain.Profile.ProfileFeatures features, UserAttributes? attributes, IPropensityModel model,
        SegmentModel? segmentation)
    {
        var profile = scorer.Score(features, attributes, model);
        if (segmentation is null)
            return profile;
        var segment = segmentation.Assign(features);
        return profile with { Segment = new SegmentAssignment(segment.Id, segment.Name, segmentation.Version) };
    }

    /// <summary>A deterministic share of updates by user and version (FNV-1a), so that a rerun samples the same ones.</summary>
    private static bool Sampled(string userId, long version, double rate)
    {
        var hash = 2166136261u;
        foreach (var c in userId)
            hash = (hash ^ c) * 16777619u;
        hash = (hash ^ (uint)version) * 16777619u;
        hash = (hash ^ (uint)(version >> 32)) * 16777619u;
        return hash / (double)uint.MaxValue < rate;
    }
}

/// <summary>Holds the current propensity model; a new version replaces it atomically.</summary>
public sealed class ModelHolder(IPropensityModel initial)
{
    private volatile IPropensityModel _current = initial;

    public IPropensityModel Current => _current;

    public void Publish(IPropensityModel model) => _current = model;
}
