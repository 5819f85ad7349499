using System.Diagnostics;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Admin;

/// <summary>Samples the stages' counters every second and gives each stage's records per second over the last five seconds.</summary>
public sealed class StageRates : IDisposable
{
    private const int Kept = 6;
    private readonly PipelineMetrics _metrics;
    private readonly Queue<(long Timestamp, long[] Passed)> _samples = new();
    private readonly Lock _lock = new();
    private readonly Timer _timer;

    public StageRates(PipelineMetrics metrics)
    {
        _metrics = metrics;
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    private void Sample()
    {
        var sample = (Stopwatch.GetTimestamp(), _metrics.StagePassed());
        lock (_lock)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > Kept)
                _samples.Dequeue();
        }
    }

    /// <summary>Records per second leaving each stage; zeros until two samples are in.</summary>
    public double[] PerSecond()
    {
        lock (_lock)
        {
            var rates = new double[PipelineMetrics.Stages.Count];
            if (_samples.Count < 2)
                return rates;
            var (firstAt, first) = _samples.Peek();
            var (lastAt, last) = _samples.Last();
            var seconds = Stopwatch.GetElapsedTime(firstAt, lastAt).TotalSeconds;
            for (var i = 0; i < rates.Length; i++)
                rates[i] = seconds > 0 ? (last[i] - first[i]) / seconds : 0;
            return rates;
        }
    }

    public void Dispose() => _timer.Dispose();
}
