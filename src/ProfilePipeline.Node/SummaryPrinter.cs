using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

public static class SummaryPrinter
{
    public static void Print(RunSummary s, PipelineMetrics metrics, Learning.LearnerStatus? learner, string dataDirectory, bool toFiles, TextWriter console)
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
        if (metrics.DecisionPoints + metrics.DecisionPointsRestored > 0)
        {
            console.WriteLine($"  decision points   {metrics.DecisionPoints:N0} taken; {metrics.LabelsReleased:N0} labelled ({metrics.PositiveLabels:N0} purchases), "
                              + $"{metrics.OpenDecisionPoints:N0} still open, {metrics.DecisionPointsUnlabelled:N0} unlabelled"
                              + (metrics.DecisionPointsRestored > 0 ? $"; {metrics.DecisionPointsRestored:N0} open points restored" : "")
                              + (metrics.DecisionPointsHandedOver > 0 ? $"; {metrics.DecisionPointsHandedOver:N0} handed over in rebalances" : "")
                              + $"; {metrics.DecisionPointsIndexed:N0} written open to the index in {metrics.LabelWrites:N0} writes");
        }
        if (learner is not null)
        {
            console.WriteLine($"  learner           {learner.LabelsSeen:N0} labels learned in all ({learner.Metrics.Positives:N0} purchases), serving {learner.Serving}; "
                              + $"prequential AUC {learner.Metrics.Auc:F3}");
        }
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
