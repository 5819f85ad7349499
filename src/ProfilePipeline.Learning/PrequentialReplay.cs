using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Learning;

public sealed record EvaluationSettings(ProfileSettings Profile, DecisionPointSettings DecisionPoints, LearnerSettings Learner)
{
    /// <summary>The later share of the labelled examples (by decision time) the batch reference is tested on.</summary>
    public double TestShare { get; init; } = 0.3;

    /// <summary>Points of the over-time table.</summary>
    public int Checkpoints { get; init; } = 10;
}

/// <summary>The online model's windowed AUC after a number of labels.</summary>
public sealed record EvaluationCheckpoint(long Labels, long EventTime, double WindowAuc, string Model);

/// <summary>How the learner coped with a concept shift at <see cref="ShiftAt"/> (event time).</summary>
/// <param name="BaselineAuc">AUC of the last labels decided before the shift.</param>
/// <param name="LowestAuc">The lowest trailing-window AUC after the shift.</param>
/// <param name="SettledAuc">Where the trailing AUC settles after the shift (the mean of the last third of the windows).</param>
/// <param name="LabelsToRecover">Labels after the shift until the trailing AUC, past its lowest point, is within 0.02 of where it settles (null: never).</param>
/// <param name="FrozenAuc">AUC after the shift of the model that served at the shift, had learning stopped there.</param>
/// <param name="OnlineAuc">AUC after the shift of what the learner served.</param>
public sealed record ShiftRecovery(long ShiftAt, double BaselineAuc, double LowestAuc, double SettledAuc, long? LabelsToRecover, int Window, double FrozenAuc, double OnlineAuc);

public sealed record EvaluationReport(
    long Events, long DecisionPoints, long Labelled, long Positives, long TooLate, long Dropped,
    MetricsSnapshot Online, long TrainExamples, long TestExamples, double OnlineTestAuc, double BatchTestAuc,
    IReadOnlyList<EvaluationCheckpoint> OverTime, IReadOnlyList<ModelVersion> Promoted, IReadOnlyList<ModelRejection> Rejected,
    ShiftRecovery? Shift, TimeSpan Elapsed);

/// <summary>
/// Replays events in their order, as the pipeline would see them, without actors: each user's <see cref="ProfileState"/>
/// folds its events, decision points are taken right after their event is folded, the <see cref="LabelTracker"/> labels
/// them in event time, and the <see cref="OnlineLearner"/> evaluates then trains. At the end a batch reference (FastTree)
/// is trained on the earlier examples and tested on the later ones, beside the online model's scores on the same ones.
/// </summary>
public static class PrequentialReplay
{
    private const int ShiftWindow = 1_000;

    public static EvaluationReport Run(IEnumerable<BehaviorEvent> events, EvaluationSettings settings, long? shiftAt = null)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var states = new Dictionary<string, ProfileState>(StringComparer.Ordinal);
        var previousPoints = new Dictionary<string, long>(StringComparer.Ordinal); // each user's newest decision point
        var decisionPoints = settings.DecisionPoints.Validate();
        var tracker = new LabelTracker(decisionPoints.Horizon, decisionPoints.LabelLateness, maxPending: 2_000_000);
        var learner = new OnlineLearner(settings.Learner, RuleBasedPropensityModel.Instance);
        var labelled = new List<LabeledExample>();
        var scored = new List<(LabeledExample Example, double Online, string Model)>();
        var promoted = new List<ModelVersion>();
        var rejected = new List<ModelRejection>();
        IPropensityModel? servingAtShift = null;
        long eventCount = 0, pointCount = 0;

        void Learn()
        {
            foreach (var example in labelled)
            {
                if (shiftAt is { } shift && servingAtShift is null && example.Point.At >= shift)
                    servingAtShift = learner.Current;
                scored.Add((example, learner.Current.ScoreVector(example.Point.Features), learner.Current.Version));
                foreach (var decided in learner.Observe(example))
                {
                    if (decided is ModelPromoted p)
                        promoted.Add(p.Version);
                    else if (decided is CandidateRejected r)
                        rejected.Add(r.Rejection);
                }
            }
            labelled.Clear();
        }

        foreach (var e in events)
        {
            eventCount++;
            if (!states.TryGetValue(e.UserId, out var state))
                states[e.UserId] = state = ProfileState.Empty(settings.Profile);
            if (state.Decide([e]).ToPersist is { Events.Length: > 0 } recorded)
            {
                state.ApplyInPlace(recorded, (applied, startsSession) =>
                {
                    var previous = previousPoints.TryGetValue(applied.UserId, out var at) ? at : (long?)null;
                    if (decisionPoints.KindOf(applied, startsSession, previous) is not { } kind)
                        return;
                    pointCount++;
                    previousPoints[applied.UserId] = applied.Timestamp;
                    tracker.Add(new DecisionPoint(applied.UserId, applied.EventId, applied.Timestamp, kind, state.PropensityVector()));
                });
            }
            tracker.Observe(e.UserId, e.Type, e.Timestamp, labelled);
            Learn();
        }
        tracker.ReleaseAll(labelled);
        Learn();

        var byDecisionTime = scored.OrderBy(s => s.Example.Point.At).ToList();
        var testCount = (int)(byDecisionTime.Count * settings.TestShare);
        var train = byDecisionTime.Take(byDecisionTime.Count - testCount).ToList();
        var test = byDecisionTime.Skip(byDecisionTime.Count - testCount).ToList();
        var onlineTestAuc = Auc.Exact(test.Select(s => (s.Online, s.Example.Purchased)));
        var batchTestAuc = double.NaN;
        if (train.Any(s => s.Example.Purchased) && train.Any(s => !s.Example.Purchased) && test.Count > 0)
        {
            var batchScores = BatchReference.FastTreeScores(Rows(train), Rows(test));
            batchTestAuc = Auc.Exact(test.Select((s, i) => (batchScores[i], s.Example.Purchased)));
        }

        return new EvaluationReport(eventCount, pointCount, scored.Count, scored.LongCount(s => s.Example.Purchased), tracker.TooLate, tracker.Dropped,
            learner.Metrics.Snapshot(), train.Count, test.Count, onlineTestAuc, batchTestAuc, OverTime(scored, settings.Checkpoints),
            promoted, rejected, shiftAt is { } at && servingAtShift is not null ? Recovery(scored, at, servingAtShift) : null, started.Elapsed);
    }

    private static List<TrainingRow> Rows(IEnumerable<(LabeledExample Example, double Online, string Model)> examples) =>
        [.. examples.Select(s => new TrainingRow { Features = s.Example.Point.Features, Label = s.Example.Purchased })];

    private static List<EvaluationCheckpoint> OverTime(List<(LabeledExample Example, double Online, string Model)> scored, int checkpoints)
    {
        var table = new List<EvaluationCheckpoint>();
        if (scored.Count == 0)
            return table;
        var step = Math.Max(1, scored.Count / checkpoints);
        for (var end = step; end <= scored.Count; end += step)
        {
            var window = scored.Skip(end - step).Take(step).ToList();
            table.Add(new EvaluationCheckpoint(end, window[^1].Example.ResolvedAt, Auc.Exact(window.Select(s => (s.Online, s.Example.Purchased))),
                window[^1].Model));
        }
        return table;
    }

    private static ShiftRecovery Recovery(List<(LabeledExample Example, double Online, string Model)> scored, long shiftAt, IPropensityModel frozen)
    {
        var before = scored.Where(s => s.Example.Point.At < shiftAt).TakeLast(2 * ShiftWindow).ToList();
        var after = scored.Where(s => s.Example.Point.At >= shiftAt).ToList();
        var baseline = Auc.Exact(before.Select(s => (s.Online, s.Example.Purchased)));
        // Trailing windows of ShiftWindow labels, every tenth of a window. The new concept may be harder or easier to
        // predict than the old, so recovery is measured against where the learner settles after the shift (the mean of
        // the last third of the windows), not against the AUC before it.
        var windows = new List<(long End, double Auc)>();
        for (var end = ShiftWindow; end <= after.Count; end += ShiftWindow / 10)
        {
            var auc = Auc.Exact(after.Skip(end - ShiftWindow).Take(ShiftWindow).Select(s => (s.Online, s.Example.Purchased)));
            if (!double.IsNaN(auc))
                windows.Add((end, auc));
        }
        var lowest = windows.Count == 0 ? double.NaN : windows.Min(w => w.Auc);
        var settled = windows.Count == 0 ? double.NaN : windows.Skip(windows.Count * 2 / 3).Average(w => w.Auc);
        var dip = windows.FindIndex(w => w.Auc == lowest);
        long? recovered = dip < 0 ? null : windows.Skip(dip).Where(w => w.Auc >= settled - 0.02).Select(w => (long?)w.End).FirstOrDefault();
        var frozenAuc = Auc.Exact(after.Select(s => (frozen.ScoreVector(s.Example.Point.Features), s.Example.Purchased)));
        var onlineAuc = Auc.Exact(after.Select(s => (s.Online, s.Example.Purchased)));
        return new ShiftRecovery(shiftAt, baseline, lowest, settled, recovered, ShiftWindow, frozenAuc, onlineAuc);
    }
}
