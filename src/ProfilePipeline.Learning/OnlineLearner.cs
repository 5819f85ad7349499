using Microsoft.ML.Trainers;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Learning;

public sealed record LearnerSettings
{
    /// <summary>
    /// Labels between two trainings. As many as the window: each label is trained on once and the warm start carries
    /// the rest; a fit every 2,000 labels evaluated about the same (see README, "Online learning") at 2.5 times the fits.
    /// </summary>
    public int MiniBatch { get; init; } = 5_000;

    /// <summary>The most recent labelled examples a training sees.</summary>
    public int TrainingWindow { get; init; } = 5_000;

    /// <summary>Labels before the first candidate; until then the cold-start model (the rules) serves.</summary>
    public int ColdStartLabels { get; init; } = 500;

    /// <summary>Examples a candidate and the serving model both score before the candidate is promoted or rejected.</summary>
    public int ShadowExamples { get; init; } = 1_000;

    /// <summary>A candidate whose shadow AUC is below its predecessor's by more than this is rejected.</summary>
    public double PromotionMargin { get; init; } = 0.02;

    public double Threshold { get; init; } = 0.5;
    public int MetricsWindow { get; init; } = 5_000;
    public float L2Regularization { get; init; } = 1f;
    public bool WarmStart { get; init; } = true;

    /// <summary>Labels between two snapshots of the learner's state; a restart replays at most this many.</summary>
    public int SnapshotEvery { get; init; } = 20_000;

    /// <summary>The most recent decision points whose labels the learner remembers, to take a label delivered again once.</summary>
    public int RememberedLabels { get; init; } = 100_000;

    public LearnerSettings Validate()
    {
        if (MiniBatch < 1 || TrainingWindow < 10 || ColdStartLabels < 10 || ShadowExamples < 10 || MetricsWindow < 10)
            throw new ArgumentException("learner: mini-batch, window, cold-start, shadow and metrics sizes must be positive (windows at least 10)");
        if (SnapshotEvery < 1 || RememberedLabels < 1)
            throw new ArgumentException("learner: snapshot-every and remembered-labels must be positive");
        if (PromotionMargin < 0 || Threshold is <= 0 or >= 1 || L2Regularization < 0)
            throw new ArgumentException("learner: the margin and the L2 weight must be non-negative and the threshold in (0, 1)");
        return this;
    }
}

/// <summary>What the learner decided after an example: a version promoted, or a candidate rejected.</summary>
public abstract record LearnerEvent;

/// <summary>
/// Everything an <see cref="OnlineLearner"/> knows, to be stored and restored exactly: the serving version and the
/// candidate in shadow, the running standardisation, the training window, the shadow scores and the prequential
/// metrics, and the last fit as ML.NET saves it, which the next training warm-starts from.
/// </summary>
public sealed record LearnerState(
    ModelVersion? Serving, ModelVersion? Candidate, int LastNumber, long LabelsSeen, long SinceTraining, StandardizerState Standardizer,
    float[][] WindowFeatures, bool[] WindowLabels, long[] WindowTimes, double[] ShadowCandidate, double[] ShadowServing, bool[] ShadowLabels,
    MetricsState Metrics)
{
    /// <summary>The last fit (ML.NET's saved model), null before any; a state stored before it was kept has none, and the next training starts from zero.</summary>
    public byte[]? WarmStart { get; init; }
}

public sealed record ModelPromoted(ModelVersion Version) : LearnerEvent;

public sealed record CandidateRejected(ModelRejection Rejection) : LearnerEvent;

/// <summary>
/// Learns purchase propensity from labelled decision points, one at a time, test-then-train:
/// <list type="number">
/// <item>the serving model scores the example before anything learns from it (prequential metrics);</item>
/// <item>the example updates the running standardisation and joins the training window;</item>
/// <item>every <see cref="LearnerSettings.MiniBatch"/> labels (once past the cold start) a candidate is trained on the
/// window, warm-started from the previous parameters;</item>
/// <item>the candidate shadows the serving model on the next <see cref="LearnerSettings.ShadowExamples"/> examples and is
/// promoted unless its AUC there is worse than the serving model's by more than the margin.</item>
/// </list>
/// Single-threaded; the actor around it persists and publishes what it decides.
/// </summary>
public sealed class OnlineLearner
{
    private readonly LearnerSettings _settings;
    private readonly PropensityTrainer _trainer;
    private RunningStandardizer _standardizer = new(PropensityFeatures.Count);
    private readonly Queue<(float[] Raw, bool Label, long At)> _window = new();
    private readonly List<(double Candidate, double Serving, bool Label)> _shadow = [];
    private readonly List<TrainingRow> _rows = [];
    private LinearBinaryModelParameters? _lastParameters;
    private (ModelVersion Version, LinearPropensityModel Model)? _candidate;
    private int _lastNumber;
    private long _sinceTraining;
    private int _windowPositives;

    public OnlineLearner(LearnerSettings settings, IPropensityModel coldStart, ModelVersion? serving = null, int lastNumber = 0)
    {
        _settings = settings.Validate();
        _trainer = new PropensityTrainer(l2Regularization: settings.L2Regularization);
        Current = serving?.ToModel() ?? coldStart;
        CurrentVersion = serving;
        _lastNumber = Math.Max(lastNumber, serving?.Number ?? 0);
        Metrics = new PrequentialMetrics(settings.MetricsWindow, settings.Threshold);
    }

    /// <summary>A learner that goes on exactly from <paramref name="state"/> (serving the cold-start model if no version served).</summary>
    public static OnlineLearner From(LearnerSettings settings, IPropensityModel coldStart, LearnerState state)
    {
        var learner = new OnlineLearner(settings, coldStart, state.Serving, state.LastNumber)
        {
            LabelsSeen = state.LabelsSeen,
            Metrics = PrequentialMetrics.From(state.Metrics, settings.MetricsWindow, settings.Threshold),
            _standardizer = RunningStandardizer.From(state.Standardizer),
            _sinceTraining = state.SinceTraining,
        };
        for (var i = 0; i < state.WindowFeatures.Length; i++)
            learner.Remember(state.WindowFeatures[i], state.WindowLabels[i], state.WindowTimes[i]);
        for (var i = 0; i < state.ShadowLabels.Length; i++)
            learner._shadow.Add((state.ShadowCandidate[i], state.ShadowServing[i], state.ShadowLabels[i]));
        learner._candidate = state.Candidate is { } candidate ? (candidate, candidate.ToModel()) : null;
        learner._lastParameters = state.WarmStart is { } saved ? learner._trainer.Load(saved) : null;
        return learner;
    }

    public LearnerState State => new(CurrentVersion, _candidate?.Version, _lastNumber, LabelsSeen, _sinceTraining, _standardizer.State,
        [.. _window.Select(e => e.Raw)], [.. _window.Select(e => e.Label)], [.. _window.Select(e => e.At)],
        [.. _shadow.Select(s => s.Candidate)], [.. _shadow.Select(s => s.Serving)], [.. _shadow.Select(s => s.Label)], Metrics.State)
    {
        WarmStart = _lastParameters is null ? null : _trainer.SaveLast(),
    };

    /// <summary>The model that serves (and is evaluated); swapped only by promotion or rollback.</summary>
    public IPropensityModel Current { get; private set; }

    public ModelVersion? CurrentVersion { get; private set; }

    /// <summary>Prequential metrics of whatever model served each example.</summary>
    public PrequentialMetrics Metrics { get; private init; }

    public long LabelsSeen { get; private set; }

    public bool HasCandidate => _candidate is not null;

    public IReadOnlyList<LearnerEvent> Observe(LabeledExample example) => Observe(example.Point.Features, example.Purchased, example.Point.At);

    /// <summary>A labelled example by its parts: the features of its decision point, its label and the point's event time.</summary>
    public IReadOnlyList<LearnerEvent> Observe(float[] raw, bool purchased, long at)
    {
        LabelsSeen++;
        var served = Current.ScoreVector(raw);
        Metrics.Record(served, purchased);
        LearnerEvent? decided = null;
        if (_candidate is { } candidate)
        {
            _shadow.Add((candidate.Model.ScoreVector(raw), served, purchased));
            decided = ShadowDecided();
        }

        _standardizer.Add(raw);
        Remember(raw, purchased, at);
        _sinceTraining++;
        if (_candidate is null && LabelsSeen >= _settings.ColdStartLabels && _sinceTraining >= _settings.MiniBatch && HasBothClasses())
            TrainCandidate();
        return decided is null ? [] : [decided];
    }

    /// <summary>
    /// Serves <paramref name="promoted"/> as the registry recorded it (when a journal is replayed onto a restored state):
    /// nothing changes if it serves already; otherwise the candidate in shadow is dropped.
    /// </summary>
    public void Adopt(ModelVersion promoted)
    {
        _lastNumber = Math.Max(_lastNumber, promoted.Number);
        if (CurrentVersion?.Number == promoted.Number)
            return;
        Rollback(promoted);
    }

    /// <summary>Drops the candidate the registry recorded as rejected, if it is still in shadow (a journal replayed onto a restored state).</summary>
    public void Adopt(ModelRejection rejected)
    {
        _lastNumber = Math.Max(_lastNumber, rejected.Number);
        if (_candidate?.Version.Number != rejected.Number)
            return;
        _candidate = null;
        _shadow.Clear();
    }

    /// <summary>Serves an earlier version again (the operator's rollback); learning goes on from there.</summary>
    public void Rollback(ModelVersion version)
    {
        Current = version.ToModel();
        CurrentVersion = version;
        _candidate = null;
        _shadow.Clear();
    }

    private void Remember(float[] raw, bool purchased, long at)
    {
        _window.Enqueue((raw, purchased, at));
        _windowPositives += purchased ? 1 : 0;
        while (_window.Count > _settings.TrainingWindow)
            _windowPositives -= _window.Dequeue().Label ? 1 : 0;
    }

    private bool HasBothClasses()
    {
        // Counted as the window moves: on sparse data (the Taobao slice) this runs on every label until both classes appear.
        return _windowPositives > 0 && _windowPositives < _window.Count;
    }

    private void TrainCandidate()
    {
        var standardization = _standardizer.Snapshot();
        var rows = RowsOfWindow(standardization);
        var parameters = _trainer.Fit(rows, _settings.WarmStart ? _lastParameters : null);
        _lastParameters = parameters;
        _sinceTraining = 0;
        var weights = parameters.Weights.ToArray();
        var number = ++_lastNumber;
        var version = new ModelVersion(number, weights, parameters.Bias, standardization.Means, standardization.Scales, rows.Count,
            _window.Min(e => e.At), _window.Max(e => e.At), double.NaN, double.NaN, Current.Version, LabelsSeen);
        _candidate = (version, version.ToModel());
        _shadow.Clear();
    }

    /// <summary>
    /// The window's examples as training rows, standardised afresh, in rows kept from the last training: a training
    /// made a window's worth of rows and vectors every mini-batch, for the collector.
    /// </summary>
    private List<TrainingRow> RowsOfWindow(Standardization standardization)
    {
        if (_rows.Count > _window.Count)
            _rows.RemoveRange(_window.Count, _rows.Count - _window.Count);
        while (_rows.Count < _window.Count)
            _rows.Add(new TrainingRow());
        var k = 0;
        foreach (var (raw, label, _) in _window)
        {
            var row = _rows[k++];
            if (row.Features.Length != raw.Length)
                row.Features = new float[raw.Length];
            for (var i = 0; i < raw.Length; i++)
                row.Features[i] = standardization.Standardize(i, raw[i]);
            row.Label = label;
        }
        return _rows;
    }

    private LearnerEvent? ShadowDecided()
    {
        if (_shadow.Count < _settings.ShadowExamples)
            return null;
        var candidateAuc = Auc.Exact(_shadow.Select(s => (s.Candidate, s.Label)));
        var servingAuc = Auc.Exact(_shadow.Select(s => (s.Serving, s.Label)));
        if (double.IsNaN(candidateAuc) || double.IsNaN(servingAuc))
        {
            if (_shadow.Count < 5 * _settings.ShadowExamples)
                return null; // wait for both classes
            return Reject(candidateAuc, servingAuc, "the shadow examples never held both classes");
        }
        if (candidateAuc < servingAuc - _settings.PromotionMargin)
        {
            return Reject(candidateAuc, servingAuc,
                $"shadow AUC {candidateAuc:F4} is below {Current.Version}'s {servingAuc:F4} by more than the margin {_settings.PromotionMargin}");
        }
        var (version, model) = _candidate!.Value;
        var promoted = version with { ShadowAuc = candidateAuc, PredecessorAuc = servingAuc, LabelsSeen = LabelsSeen };
        Current = model;
        CurrentVersion = promoted;
        _candidate = null;
        _shadow.Clear();
        return new ModelPromoted(promoted);
    }

    private CandidateRejected Reject(double candidateAuc, double servingAuc, string reason)
    {
        var rejected = new ModelRejection(_candidate!.Value.Version.Number, candidateAuc, servingAuc, Current.Version, reason, LabelsSeen);
        _candidate = null;
        _shadow.Clear();
        return new CandidateRejected(rejected);
    }
}
