using ProfilePipeline.Domain.Segments;

namespace ProfilePipeline.Streams;

/// <summary>Holds the serving segmentation (null until the first is trained); a new version replaces it atomically.</summary>
public sealed class SegmentHolder
{
    private volatile SegmentModel? _current;

    public SegmentModel? Current => _current;

    public void Publish(SegmentModel model) => _current = model;
}

/// <summary>Where the scoring stage sends its sample of users' segment feature vectors (the segmentation singleton).</summary>
public interface ISegmentSampleSink
{
    void Publish(IReadOnlyList<(string UserId, double[] Vector)> samples);
}

/// <summary>What the scoring stage does for segments: assign from the holder, and sample vectors for training.</summary>
/// <param name="SampleRate">Share of profile updates whose vector is sampled (deterministic by user and version).</param>
/// <param name="SampleBatch">Vectors sent to the sink at once.</param>
public sealed record SegmentScoring(SegmentHolder Segments, ISegmentSampleSink? Samples, double SampleRate, int SampleBatch);
