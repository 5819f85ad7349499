using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

public static class SummaryPrinter
{
    public static void Print(RunSummary s, PipelineMetrics metrics, string dataDirectory, bool toFiles, TextWriter console)
    {
        console.WriteLine();
        console.WriteLine(s.Drained ? "Drained on request; the next run resumes after the last checkpoint or commit." : "Input exhausted.");
        console.WriteLine($"  source            {s.SourceId}");
        console.WriteLine($"  records read      {s.Read:N0} in {s.Elapsed.TotalSeconds:N1} s ({s.EventsPerSecond:N0} events/s)");
        console.WriteLine($"  events applied    {s.Applied:N0}");
        console.WriteLine($"  duplicates        {s.Duplicates:N0}");
        console.WriteLine($"  already applied   {s.Redelivered:N0}");
        console.WriteLine($"  dead letters      {s.DeadLetters:N0}{Reasons(s)}");
        console.WriteLine($"  unknown items     {s.UnknownItems:N0}");
        console.WriteLine($"  users updated     {s.Users:N0}");
        console.WriteLine($"  profile records   {s.ProfilesWritten:N0} (updates, and users found inactive)");
        console.WriteLine($"  latency p50/p99   {s.LatencyP50.TotalMilliseconds:N1} / {s.LatencyP99.TotalMilliseconds:N1} ms (source to sink)");
        console.WriteLine($"  found inactive    {metrics.UsersFoundInactive:N0} users"
                          + (metrics.InactivityTimersRestored > 0 ? $"; {metrics.InactivityTimersRestored:N0} timers restored" : "")
                          + (metrics.DecisionsRepublished > 0 ? $"; decisions of {metrics.DecisionsRepublished:N0} users published again" : ""));
        var actions = metrics.ActionsByName.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:N0}").ToList();
        console.WriteLine($"  actions           {metrics.ActionsByName.Values.Sum():N0}" + (actions.Count == 0 ? "" : $" ({string.Join(", ", actions)})")
                          + (metrics.ActionsCapped > 0 ? $"; {metrics.ActionsCapped:N0} held back by caps" : ""));
        if (metrics.MaxEventTime is { } t)
            console.WriteLine($"  newest event time {DateTimeOffset.FromUnixTimeMilliseconds(t):O}");
        if (toFiles)
        {
            console.WriteLine($"  outputs           {Path.Combine(dataDirectory, OutputFiles.ProfilesFile)}");
            console.WriteLine($"                    {Path.Combine(dataDirectory, OutputFiles.DeadLettersFile)}");
            console.WriteLine($"                    {Path.Combine(dataDirectory, OutputFiles.ActionsFile)}");
        }
    }

    private static string Reasons(RunSummary s) => s.DeadLettersByReason.Count == 0
        ? ""
        : " (" + string.Join(", ", s.DeadLettersByReason.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:N0}")) + ")";
}
