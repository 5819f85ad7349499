namespace ProfilePipeline.Domain.Learning;

/// <summary>Predicted and observed purchase rate of the examples whose score fell in one tenth of [0, 1].</summary>
public sealed record CalibrationBin(double From, double To, long Examples, double MeanPredicted, double Observed);

/// <summary>Prequential (test-then-train) evaluation at one moment.</summary>
/// <param name="Auc">Over every example so far (scores binned finely on the logit scale).</param>
/// <param name="WindowAuc">Exact, over the most recent examples (the window size of the evaluator).</param>
public sealed record MetricsSnapshot(
    long Examples, long Positives, double Auc, double WindowAuc, double LogLoss, double Threshold, double Precision, double Recall, double F1,
    IReadOnlyList<CalibrationBin> Calibration)
{
    public static readonly MetricsSnapshot Empty = new(0, 0, double.NaN, double.NaN, double.NaN, 0.5, 0, 0, 0, []);
}

/// <summary>
/// Running and windowed AUC, log loss, precision/recall/F1 at a threshold, and calibration, of scores recorded before
/// the model trains on their examples. Single-threaded.
/// </summary>
/// <summary>The state of a <see cref="PrequentialMetrics"/>, to be stored and restored exactly.</summary>
public sealed record MetricsState(
    long[] PositivesByBin, long[] NegativesByBin, double[] RecentScores, bool[] RecentLabels, long[] CalibrationCount, double[] CalibrationPredicted,
    long[] CalibrationPositive, long Examples, long Positives, long TruePositives, long FalsePositives, long FalseNegatives, double LogLossSum);

public sealed class PrequentialMetrics(int window = 5000, double threshold = 0.5)
{
    private const int Bins = 4000;
    private const double LogitRange = 20; // bins cover logits in [-20, 20]
    private readonly long[] _positivesByBin = new long[Bins];
    private readonly long[] _negativesByBin = new long[Bins];
    private readonly Queue<(double Score, bool Label)> _recent = new(window + 1);
    private readonly long[] _calibrationCount = new long[10];
    private readonly double[] _calibrationPredicted = new double[10];
    private readonly long[] _calibrationPositive = new long[10];
    private long _examples, _positives, _truePositives, _falsePositives, _falseNegatives;
    private double _logLossSum;

    public long Examples => _examples;

    public MetricsState State => new([.. _positivesByBin], [.. _negativesByBin], [.. _recent.Select(r => r.Score)], [.. _recent.Select(r => r.Label)],
        [.. _calibrationCount], [.. _calibrationPredicted], [.. _calibrationPositive], _examples, _positives, _truePositives, _falsePositives,
        _falseNegatives, _logLossSum);

    /// <summary>Metrics that go on from <paramref name="state"/>; the most recent examples beyond <paramref name="window"/> are left out.</summary>
    public static PrequentialMetrics From(MetricsState state, int window, double threshold)
    {
        var metrics = new PrequentialMetrics(window, threshold);
        state.PositivesByBin.CopyTo(metrics._positivesByBin, 0);
        state.NegativesByBin.CopyTo(metrics._negativesByBin, 0);
        state.CalibrationCount.CopyTo(metrics._calibrationCount, 0);
        state.CalibrationPredicted.CopyTo(metrics._calibrationPredicted, 0);
        state.CalibrationPositive.CopyTo(metrics._calibrationPositive, 0);
        for (var i = Math.Max(0, state.RecentScores.Length - window); i < state.RecentScores.Length; i++)
            metrics._recent.Enqueue((state.RecentScores[i], state.RecentLabels[i]));
        (metrics._examples, metrics._positives, metrics._truePositives, metrics._falsePositives, metrics._falseNegatives, metrics._logLossSum) =
            (state.Examples, state.Positives, state.TruePositives, state.FalsePositives, state.FalseNegatives, state.LogLossSum);
        return metrics;
    }

    public void Record(double score, bool purchased)
    {
        _examples++;
        var p = Math.Clamp(score, 1e-7, 1 - 1e-7);
        _logLossSum -= purchased ? Math.Log(p) : Math.Log(1 - p);
        var bin = (int)Math.Clamp((Math.Log(p / (1 - p)) + LogitRange) / (2 * LogitRange) * Bins, 0, Bins - 1);
        if (purchased)
        {
            _positives++;
            _positivesByBin[bin]++;
        }
        else
        {
            _negativesByBin[bin]++;
        }
        var predicted = score >= threshold;
        if (predicted && purchased)
            _truePositives++;
        else if (predicted)
            _falsePositives++;
        else if (purchased)
            _falseNegatives++;
        var tenth = (int)Math.Clamp(score * 10, 0, 9);
        _calibrationCount[tenth]++;
        _calibrationPredicted[tenth] += score;
        if (purchased)
            _calibrationPositive[tenth]++;
        _recent.Enqueue((score, purchased));
        if (_recent.Count > window)
            _recent.Dequeue();
    }

    public MetricsSnapshot Snapshot()
    {
        if (_examples == 0)
            return MetricsSnapshot.Empty with { Threshold = threshold };
        var precision = _truePositives + _falsePositives == 0 ? 0 : (double)_truePositives / (_truePositives + _falsePositives);
        var recall = _positives == 0 ? 0 : (double)_truePositives / _positives;
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        var calibration = Enumerable.Range(0, 10)
            .Where(i => _calibrationCount[i] > 0)
            .Select(i => new CalibrationBin(i / 10.0, (i + 1) / 10.0, _calibrationCount[i], _calibrationPredicted[i] / _calibrationCount[i],
                (double)_calibrationPositive[i] / _calibrationCount[i]))
            .ToList();
        return new MetricsSnapshot(_examples, _positives, BinnedAuc(), Auc.Exact(_recent), _logLossSum / _examples, threshold, precision, recall, f1,
            calibration);
    }

    /// <summary>AUC from the score histograms: ties within a bin count half.</summary>
    private double BinnedAuc()
    {
        var negatives = _examples - _positives;
        if (_positives == 0 || negatives == 0)
            return double.NaN;
        double concordant = 0;
        long negativesBelow = 0;
        for (var b = 0; b < Bins; b++)
        {
            concordant += _positivesByBin[b] * (negativesBelow + 0.5 * _negativesByBin[b]);
            negativesBelow += _negativesByBin[b];
        }
        return concordant / (_positives * (double)negatives);
    }
}

/// <summary>The area under the ROC curve.</summary>
public static class Auc
{
    /// <summary>Exact AUC (Mann–Whitney with average ranks for ties); NaN without both classes.</summary>
    public static double Exact(IEnumerable<(double Score, bool Label)> examples)
    {
        var sorted = examples.OrderBy(e => e.Score).ToArray();
        long positives = sorted.LongCount(e => e.Label), negatives = sorted.Length - positives;
        if (positives == 0 || negatives == 0)
            return double.NaN;
        double rankSum = 0;
        for (var i = 0; i < sorted.Length;)
        {
            var j = i;
            while (j < sorted.Length && sorted[j].Score == sorted[i].Score)
                j++;
            var averageRank = (i + 1 + j) / 2.0; // ranks i+1 .. j
            for (var k = i; k < j; k++)
            {
                if (sorted[k].Label)
                    rankSum += averageRank;
            }
            i = j;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }
}
