using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Streams;

/// <summary>Where released labels go: the online learner (on a cluster, through the singleton's proxy).</summary>
public interface ILabelSink
{
    void Publish(IReadOnlyList<LabeledExample> labels);
}

/// <param name="MaxOpen">Open decision points kept; past it the oldest are dropped unlabelled and counted.</param>
/// <param name="FlushEvery">Labels are handed on in groups of up to this many, or once <paramref name="FlushInterval"/> has passed.</param>
public sealed record LabelSettings(DecisionPointSettings DecisionPoints, int MaxOpen, ILabelSink Sink, int FlushEvery, TimeSpan FlushInterval)
{
    public LabelSettings(DecisionPointSettings decisionPoints, int maxOpen, ILabelSink sink) : this(decisionPoints, maxOpen, sink, 200, TimeSpan.FromSeconds(1))
    {
    }
}

/// <summary>
/// Follows the stream in source order with a <see cref="LabelTracker"/>: records each decision point the entities took,
/// sees every applied purchase, and releases labels as the event-time watermark passes their horizon. Passes every
/// record on unchanged. Each node labels the decision points of the users whose events it reads.
/// </summary>
public static class LabelStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(LabelSettings settings, PipelineMetrics metrics)
    {
        var labels = new Labeller(settings, metrics);
        return Flow.Create<PipelineItem>()
            .Select(labels.Observe)
            .WatchTermination((materialized, done) =>
            {
                done.ContinueWith(_ => labels.Flush(), TaskScheduler.Default); // what is released is handed on, even at the end
                return materialized;
            });
    }

    /// <summary>The stage's state: one per graph (the graph is materialized once).</summary>
    private sealed class Labeller(LabelSettings settings, PipelineMetrics metrics)
    {
        private readonly LabelTracker _tracker = new(settings.DecisionPoints.Horizon, settings.DecisionPoints.LabelLateness, settings.MaxOpen);
        private readonly List<LabeledExample> _released = [];
        private readonly Lock _lock = new();
        private List<LabeledExample> _pending = [];
        private DateTime _lastFlush = DateTime.UtcNow;

        public PipelineItem Observe(PipelineItem item)
        {
            if (item.DecisionPoint is { } point)
                _tracker.Add(point);
            if (item.Event is { } e && item.Outcome == EventOutcome.Applied)
                _tracker.Observe(e.UserId, e.Type, e.Timestamp, _released);
            if (item.DecisionPoint is null && _released.Count == 0)
                return item;
            metrics.RecordLabels(item.DecisionPoint is null ? 0 : 1, _released);
            lock (_lock)
                _pending.AddRange(_released);
            _released.Clear();
            if (_pending.Count >= settings.FlushEvery || DateTime.UtcNow - _lastFlush >= settings.FlushInterval)
                Flush();
            return item;
        }

        public void Flush()
        {
            List<LabeledExample> ready;
            lock (_lock)
            {
                if (_pending.Count == 0)
                    return;
                ready = _pending;
                _pending = [];
                _lastFlush = DateTime.UtcNow;
            }
            settings.Sink.Publish(ready);
        }
    }
}
