using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Streams;

/// <summary>
/// Scores each profile update with the model current when its batch arrives. The model is read once per
/// batch, so a swap lands between batches, never inside one.
/// </summary>
public static class ScoreStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(ProfileScorer scorer, ModelHolder models, int maxBatch) =>
        Flow.Create<PipelineItem>()
            .Batch(maxBatch, item => new List<PipelineItem> { item }, (list, item) => { list.Add(item); return list; })
            .SelectMany(batch =>
            {
                var model = models.Current;
                for (var i = 0; i < batch.Count; i++)
                {
                    if (batch[i].Features is { } features)
                        batch[i] = batch[i] with { Profile = scorer.Score(features, batch[i].Attributes, model) };
                }
                return batch;
            });
}

/// <summary>Holds the current propensity model; a new version replaces it atomically.</summary>
public sealed class ModelHolder(IPropensityModel initial)
{
    private volatile IPropensityModel _current = initial;

    public IPropensityModel Current => _current;

    public void Publish(IPropensityModel model) => _current = model;
}
