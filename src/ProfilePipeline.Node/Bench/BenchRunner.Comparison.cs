using System.Text.Json;
using System.Text.Json.Nodes;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Node.Bench;

/// <summary>
/// `bench --compare A.conf --compare B.conf`: what a setting costs, on this noisy machine. Each configuration runs in
/// worker processes of its own (<see cref="BenchOptions.ProcessesPerConfiguration"/>): a node runs one configuration,
/// and the runtime optimises code from what it sees run (tiered compilation, profile-guided), so in one shared process
/// the code the configurations share was optimised for all of them at once; and two processes of one configuration can
/// differ by more than the cost being measured, so there are several. Each worker generates the same events and runs
/// them <see cref="BenchOptions.WarmUpRuns"/> times to warm up; then the workers run in rounds, one run of each per
/// round, first on the durable store, then on the in-memory journal, one worker at a time. In a round the
/// configurations take turns (each one's first process, then each one's second, ...; which goes first rotating from
/// round to round), and a change is the median, over all the turns, of a run's ratio to the baseline's run in the same
/// turn: runs next to each other in time share the machine's state, so its drift cancels. (Taking all of one
/// configuration's processes before the next's let the machine drift by more than the cost measured between the first
/// configuration's runs and the second's.)
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
        EmptyWorkDirectory();
        var perConfiguration = options.ProcessesPerConfiguration;
        console.WriteLine($"bench: {options.Events:N0} generated events over {options.Users:N0} users, {options.Runs} round(s), " +
            $"{perConfiguration} process(es) per configuration, {Environment.ProcessorCount} cores");
        var names = configFiles.Select((file, i) => $"{i + 1}-{Path.GetFileNameWithoutExtension(file)}").ToList();
        var report = NewReport(new JsonObject([.. configFiles.Select((file, i) => KeyValuePair.Create(names[i], (JsonNode?)File.ReadAllText(file)))]));
        var comparison = new JsonObject { ["rounds"] = options.Runs, ["processesPerConfiguration"] = perConfiguration, ["baseline"] = names[0] };
        var results = names.ToDictionary(name => name, _ => new JsonObject());
        // Configuration i's p-th process is worker i * perConfiguration + p.
        var workers = new List<ComparisonWorker>();
        try
        {
            for (var i = 0; i < configFiles.Count; i++)
            {
                for (var p = 0; p < perConfiguration; p++)
                {
                    var name = $"{names[i]} #{p + 1}";
                    workers.Add(await ComparisonWorker.StartAsync(name, configFiles[i], options, Path.Combine(options.WorkDirectory, $"{names[i]}-{p + 1}")).ConfigureAwait(false));
                }
            }
            // Before any measured run: the first run in a process compiles the code paths, and code run rarely (a fit every
            // few thousand labels) reaches its optimised tier only after several.
            for (var warmUp = 1; warmUp <= options.WarmUpRuns; warmUp++)
            {
                foreach (var worker in workers)
                    console.WriteLine($"  {worker.Name}, {Journals[0].Name}: warm-up {warmUp}: {Describe(await worker.RunAsync(Journals[0].Key).ConfigureAwait(false))}");
            }
            foreach (var (journal, key, _) in Journals)
            {
                // rounds[r][i]: configuration i's runs in round r, one per process.
                var rounds = new List<List<RunFigures>[]>();
                for (var round = 0; round < options.Runs; round++)
                {
                    var inRound = names.Select(_ => new List<RunFigures>()).ToArray();
                    for (var k = 0; k < workers.Count; k++)
                    {
                        // The configurations take turns: one run of each (their p-th processes) before the next of any,
                        // so that runs compared are next to each other in time; each configuration goes first in some round.
                        var (p, i) = (k / names.Count, (k + round) % names.Count);
                        var w = i * perConfiguration + p;
                        var run = await workers[w].RunAsync(key).ConfigureAwait(false);
                        inRound[i].Add(run);
                        console.WriteLine($"  {workers[w].Name}, {journal}: round {round + 1}: {Describe(run)}");
                    }
                    rounds.Add(inRound);
                }
                for (var i = 0; i < names.Count; i++)
                    results[names[i]][key] = Figures(rounds.Select(r => r[i]).ToList(), rounds.Select(r => r[0]).ToList());
            }
        }
        finally
        {
            foreach (var worker in workers)
                await worker.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var (name, figures) in results)
            comparison[name] = figures;
        report["comparison"] = comparison;
        PrintComparison(names, results);
        return report;
    }

    /// <summary>
    /// The worker's side of <see cref="CompareAsync"/> (`bench --worker file`): generates the events, says it is ready,
    /// then runs them with <paramref name="configFile"/> on each journal asked for, one line per request, and answers
    /// each with the run's figures, until told to exit or its input ends.
    /// </summary>
    public async Task ServeAsync(string configFile, TextReader requests, TextWriter replies)
    {
        var (records, sideData) = Prepare();
        await replies.WriteLineAsync(ComparisonWorker.Ready).ConfigureAwait(false);
        await replies.FlushAsync().ConfigureAwait(false);
        while (await requests.ReadLineAsync().ConfigureAwait(false) is { } request && request != ComparisonWorker.Exit)
        {
            var key = request.StartsWith(ComparisonWorker.Run, StringComparison.Ordinal) ? request[ComparisonWorker.Run.Length..] : null;
            var journal = Journals.FirstOrDefault(j => j.Key == key);
            if (journal.Key is null)
                throw new InvalidDataException($"bench worker: unknown request '{request}'");
            var run = RunFigures.Of(await RunAndDiscardAsync(journal.Hocon, records, sideData, configFile).ConfigureAwait(false));
            await replies.WriteLineAsync(ComparisonWorker.Result + JsonSerializer.Serialize(run)).ConfigureAwait(false);
            await replies.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One run; its store is deleted once measured (a durable run of a million events leaves a few hundred megabytes).</summary>
    private async Task<BenchPipeline.Result> RunAndDiscardAsync(string? hocon, IReadOnlyList<RawBehavior> records, SideDataFiles sideData, string configFile)
    {
        var run = await RunGraphAsync(hocon, records, sideData, configFile: configFile).ConfigureAwait(false);
        Directory.Delete(run.Store, recursive: true);
        return run.Result;
    }

    /// <summary>
    /// Medians of one configuration's runs, and its change from the baseline's: the median over the turns (a round's
    /// p-th processes, run one after the other) of its run's ratio to the baseline's. The spread is how far
    /// apart its processes were (the highest process median over the lowest, minus one): what separate processes of
    /// one configuration differ by on this machine, against which to read the change.
    /// </summary>
    private static JsonObject Figures(List<List<RunFigures>> rounds, List<List<RunFigures>> baseline)
    {
        var runs = rounds.SelectMany(r => r).ToList();
        var perProcess = runs.GroupBy(r => r.ProcessId).Select(g => Median(g.Select(r => r.EventsPerSecond))).ToList();
        double Change(Func<RunFigures, double> figure) =>
            Median(rounds.Zip(baseline, (turns, baseTurns) => turns.Zip(baseTurns, (run, baseRun) => figure(run) / figure(baseRun) - 1)).SelectMany(turn => turn));
        return new JsonObject
        {
            ["eventsPerSecond"] = Math.Round(Median(runs.Select(r => r.EventsPerSecond))),
            ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)Math.Round(r.EventsPerSecond))]),
            ["change"] = Math.Round(Change(r => r.EventsPerSecond), 4),
            ["cpuSecondsPer100kEvents"] = Math.Round(Median(runs.Select(r => r.ProcessorTime.TotalSeconds * 100_000 / r.Records)), 3),
            ["cpuChange"] = Math.Round(Change(r => r.ProcessorTime.TotalSeconds), 4),
            ["processSpread"] = Math.Round(perProcess.Max() / perProcess.Min() - 1, 4),
            ["coresBusy"] = Math.Round(Median(runs.Select(r => r.CoresBusy)), 2),
            ["allocatedMBPer100kEvents"] = Math.Round(Median(runs.Select(r => r.Gc.Allocated / 1e6 * 100_000 / r.Records)), 1),
            ["gcPausedSeconds"] = Math.Round(Median(runs.Select(r => r.Gc.Paused.TotalSeconds)), 3),
            // Far from 0: the processes were still compiling code during the measured runs, so not yet warm.
            ["jitMethodsPerRun"] = Math.Round(Median(runs.Select(r => (double)r.Jit.Methods))),
            ["jitSecondsPerRun"] = Math.Round(Median(runs.Select(r => r.Jit.Time.TotalSeconds)), 3),
            // What the configuration did with the same events, to see that each ran as meant, and where.
            ["eventsApplied"] = runs[^1].Applied,
            ["decisionPoints"] = runs[^1].DecisionPoints,
            ["labelsReleased"] = runs[^1].LabelsReleased,
            ["processes"] = new JsonArray([.. runs.Select(r => r.ProcessId).Distinct().Select(id => (JsonNode)id)]),
        };
    }

    private void PrintComparison(List<string> names, Dictionary<string, JsonObject> results)
    {
        var width = Math.Max(13, names.Max(n => n.Length));
        console.WriteLine();
        console.WriteLine($"comparison: medians of {options.Runs} rounds; change = median of the ratios to {names[0]}'s run in the same turn");
        console.WriteLine($"  {"configuration".PadRight(width)}  {"journal",-17}  {"events/s",10}  {"change",8}  {"CPU s/100k",10}  {"CPU change",10}  {"process spread",14}  {"JIT s/run",9}");
        foreach (var name in names)
        {
            foreach (var (journal, key, _) in Journals)
            {
                var f = results[name][key]!;
                console.WriteLine($"  {name.PadRight(width)}  {journal,-17}  {(double)f["eventsPerSecond"]!,10:N0}  {(double)f["change"]!,8:+0.0%;-0.0%;0.0%}  " +
                    $"{(double)f["cpuSecondsPer100kEvents"]!,10:F2}  {(double)f["cpuChange"]!,10:+0.0%;-0.0%;0.0%}  {(double)f["processSpread"]!,14:0.0%}  {(double)f["jitSecondsPerRun"]!,9:F2}");
            }
        }
    }
}
