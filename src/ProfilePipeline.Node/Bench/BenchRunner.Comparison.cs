using System.Text.Json.Nodes;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Node.Bench;

/// <summary>
/// `bench --compare A.conf --compare B.conf`: what a setting costs, on this noisy machine. Each configuration runs the
/// same events once to warm up, then in rounds, one run of each per round (the order rotating), first on the durable
/// store, then on the in-memory journal. A change is the median over the rounds of each round's ratio to the first
/// configuration: runs next to each other in time share the machine's state, so its drift cancels.
/// </summary>
public sealed partial class BenchRunner
{
    private static readonly (string Name, string Key, string? Hocon)[] Journals =
    [
        ("durable", "durable", null),
        ("in-memory journal", "inMemoryJournal", InMemoryJournal),
    ];

    public async Task<JsonObject> CompareAsync(IReadOnlyList<string> configFiles)
    {
        if (configFiles.Count < 2)
            throw new ArgumentException("--compare needs at least two configuration files, the first being the baseline");
        var (records, sideData) = Prepare();
        var names = configFiles.Select((file, i) => $"{i + 1}-{Path.GetFileNameWithoutExtension(file)}").ToList();
        var report = NewReport(new JsonObject([.. configFiles.Select((file, i) => KeyValuePair.Create(names[i], (JsonNode?)File.ReadAllText(file)))]));
        var comparison = new JsonObject { ["rounds"] = options.Runs, ["baseline"] = names[0] };
        var results = names.ToDictionary(name => name, _ => new JsonObject());
        // Once, before any measured run: the first run of a configuration in a process compiles its code paths.
        for (var i = 0; i < configFiles.Count; i++)
            console.WriteLine($"  {names[i]}, {Journals[0].Name}: warm-up: {Describe(await RunAndDiscardAsync(Journals[0].Hocon, records, sideData, configFiles[i]).ConfigureAwait(false))}");
        foreach (var (journal, key, hocon) in Journals)
        {
            var runs = names.Select(_ => new List<BenchPipeline.Result>()).ToList();
            for (var round = 0; round < options.Runs; round++)
            {
                for (var k = 0; k < configFiles.Count; k++)
                {
                    var i = (round + k) % configFiles.Count; // each configuration goes first in some round
                    var run = await RunAndDiscardAsync(hocon, records, sideData, configFiles[i]).ConfigureAwait(false);
                    runs[i].Add(run);
                    console.WriteLine($"  {names[i]}, {journal}: round {round + 1}: {Describe(run)}");
                }
            }
            for (var i = 0; i < names.Count; i++)
                results[names[i]][key] = Figures(runs[i], runs[0], records.Count);
        }
        foreach (var (name, figures) in results)
            comparison[name] = figures;
        report["comparison"] = comparison;
        PrintComparison(names, results);
        return report;
    }

    /// <summary>One run; its store is deleted once measured (a durable run of a million events leaves a few hundred megabytes).</summary>
    private async Task<BenchPipeline.Result> RunAndDiscardAsync(string? hocon, IReadOnlyList<RawBehavior> records, SideDataFiles sideData, string configFile)
    {
        var run = await RunGraphAsync(hocon, records, sideData, configFile: configFile).ConfigureAwait(false);
        Directory.Delete(run.Store, recursive: true);
        return run.Result;
    }

    /// <summary>Medians of one configuration's runs, and its change from the baseline's runs of the same rounds.</summary>
    private static JsonObject Figures(List<BenchPipeline.Result> runs, List<BenchPipeline.Result> baseline, int events)
    {
        return new JsonObject
        {
            ["eventsPerSecond"] = Math.Round(Median(runs.Select(r => r.EventsPerSecond))),
            ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)Math.Round(r.EventsPerSecond))]),
            ["change"] = Math.Round(Median(runs.Zip(baseline, (run, base_) => run.EventsPerSecond / base_.EventsPerSecond - 1)), 4),
            ["cpuSecondsPer100kEvents"] = Math.Round(Median(runs.Select(r => r.ProcessorTime.TotalSeconds * 100_000 / events)), 3),
            ["cpuChange"] = Math.Round(Median(runs.Zip(baseline, (run, base_) => run.ProcessorTime / base_.ProcessorTime - 1)), 4),
            ["coresBusy"] = Math.Round(Median(runs.Select(r => r.CoresBusy)), 2),
            ["allocatedMBPer100kEvents"] = Math.Round(Median(runs.Select(r => r.Gc.Allocated / 1e6 * 100_000 / events)), 1),
            ["gcPausedSeconds"] = Math.Round(Median(runs.Select(r => r.Gc.Paused.TotalSeconds)), 3),
            // What the configuration did with the same events, to see that each ran as meant.
            ["eventsApplied"] = runs[^1].Metrics.Applied,
            ["decisionPoints"] = runs[^1].Metrics.DecisionPoints,
            ["labelsReleased"] = runs[^1].Metrics.LabelsReleased,
        };
    }

    private void PrintComparison(List<string> names, Dictionary<string, JsonObject> results)
    {
        var width = Math.Max(13, names.Max(n => n.Length));
        console.WriteLine();
        console.WriteLine($"comparison: medians of {options.Runs} rounds; change = median of the rounds' ratios to {names[0]}");
        console.WriteLine($"  {"configuration".PadRight(width)}  {"journal",-17}  {"events/s",10}  {"change",8}  {"CPU s/100k",10}  {"CPU change",10}");
        foreach (var name in names)
        {
            foreach (var (journal, key, _) in Journals)
            {
                var f = results[name][key]!;
                console.WriteLine($"  {name.PadRight(width)}  {journal,-17}  {(double)f["eventsPerSecond"]!,10:N0}  {(double)f["change"]!,8:+0.0%;-0.0%;0.0%}  " +
                    $"{(double)f["cpuSecondsPer100kEvents"]!,10:F2}  {(double)f["cpuChange"]!,10:+0.0%;-0.0%;0.0%}");
            }
        }
    }
}
