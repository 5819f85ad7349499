using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>Prints one progress line: rate since the last line, totals, users and dead letters.</summary>
public sealed class ProgressReporter(PipelineMetrics metrics, TextWriter console)
{
    private long _lastCompleted;
    private TimeSpan _lastElapsed;

    public void Report(TimeSpan elapsed)
    {
        var completed = metrics.Completed;
        var rate = (completed - _lastCompleted) / Math.Max(0.001, (elapsed - _lastElapsed).TotalSeconds);
        _lastCompleted = completed;
        _lastElapsed = elapsed;
        var watermark = metrics.MaxEventTime is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t).ToString("yyyy-MM-dd HH:mm") : "-";
        console.WriteLine($"[{elapsed:hh\\:mm\\:ss}] {rate,9:N0} events/s | processed {completed:N0} | users {metrics.Users:N0} | "
                          + $"dead letters {metrics.DeadLetters:N0} | duplicates {metrics.Duplicates:N0} | event time {watermark}");
    }
}
