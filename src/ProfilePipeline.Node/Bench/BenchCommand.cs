using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProfilePipeline.Node.Bench;

/// <summary>`bench`: runs <see cref="BenchRunner"/>, prints every figure by its plain name and saves them as dated JSON.</summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var defaults = new BenchOptions();
        var quick = new Option<bool>("--quick") { Description = "A small run (100k events, one run each) that takes under a minute." };
        var events = new Option<long?>("--events") { Description = $"Generated events (default {defaults.Events:N0}, quick 100,000)." };
        var users = new Option<int?>("--users") { Description = $"Generated users (default {defaults.Users:N0}, quick 10,000)." };
        var runs = new Option<int?>("--runs") { Description = $"Runs per throughput figure; the median is reported (default {defaults.Runs}, quick 1)." };
        var workDir = new Option<string>("--work-dir") { Description = "Scratch folder for the stores (emptied first).", DefaultValueFactory = _ => defaults.WorkDirectory };
        var output = new Option<string>("--output") { Description = "Folder for the dated JSON result.", DefaultValueFactory = _ => defaults.OutputDirectory };
        var noSave = new Option<bool>("--no-save") { Description = "Print the figures without saving them." };
        var config = new Option<string?>("--config") { Description = "A HOCON file applied to every node the bench starts (as run --config)." };
        var compare = new Option<string[]>("--compare")
        {
            Description = "Instead of the whole bench, compare the throughput and CPU of two or more configuration files (HOCON, as run --config; "
                + "give the option once per file, the baseline first), each in worker processes of its own: interleaved rounds of --runs runs each, durable and in-memory.",
        };
        var processes = new Option<int?>("--processes")
        {
            Description = $"With --compare: worker processes per configuration, whose runs are taken together (default {defaults.ProcessesPerConfiguration}).",
        };
        var warmUps = new Option<int?>("--warm-up-runs")
        {
            Description = $"With --compare: unmeasured runs of each worker process before the rounds (default {defaults.WarmUpRuns}); "
                + "each run reports what the JIT compiled meanwhile, to see that the processes were warm.",
        };
        var worker = new Option<string?>("--worker")
        {
            Description = "Internal: serve runs of this configuration file for --compare, which starts such worker processes for each file.",
            Hidden = true,
        };
        var command = new Command("bench", "Measure throughput, the machine's limits, latency, memory per profile and recovery.")
        {
            quick, events, users, runs, workDir, output, noSave, config, compare, processes, warmUps, worker,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(warmUps) is < 0)
                result.AddError("--warm-up-runs must be 0 or more");
            if (result.GetValue(compare) is { Length: > 0 } files)
            {
                if (files.Length < 2)
                    result.AddError("--compare needs at least two configuration files (give the option once per file), the baseline first");
                if (result.GetValue(config) is not null)
                    result.AddError("--compare and --config do not go together: put the settings in each compared file");
                foreach (var file in files.Where(f => !File.Exists(f)))
                    result.AddError($"--compare: no such file {file}");
            }
        });
        command.SetAction(async (result, _) =>
        {
            var options = defaults with { WorkDirectory = result.GetValue(workDir)!, OutputDirectory = result.GetValue(output)!, Save = !result.GetValue(noSave), ConfigFile = result.GetValue(config) };
            if (result.GetValue(quick))
                options = BenchOptions.QuickSettings(options);
            options = options with
            {
                Events = result.GetValue(events) ?? options.Events,
                Users = result.GetValue(users) ?? options.Users,
                Runs = Math.Max(1, result.GetValue(runs) ?? options.Runs),
                ProcessesPerConfiguration = Math.Max(1, result.GetValue(processes) ?? options.ProcessesPerConfiguration),
                WarmUpRuns = result.GetValue(warmUps) ?? options.WarmUpRuns,
            };
            if (result.GetValue(worker) is { } served)
            {
                // Its standard output carries the answers to --compare; what it reports along the way goes to standard error.
                await new BenchRunner(options, Console.Error).ServeAsync(served, Console.In, Console.Out).ConfigureAwait(false);
                return 0;
            }
            var runner = new BenchRunner(options, Console.Out);
            var files = result.GetValue(compare) ?? [];
            var report = files.Length > 0 ? await runner.CompareAsync(files).ConfigureAwait(false) : await runner.RunAsync().ConfigureAwait(false);
            Print(report, Console.Out);
            if (options.Save)
                Console.WriteLine($"saved {Save(report, options, compared: files.Length > 0)}");
            if (Directory.Exists(options.WorkDirectory))
                Directory.Delete(options.WorkDirectory, recursive: true);
            return 0;
        });
        return command;
    }

    /// <summary>Every numeric figure, one per line, by its dotted name (the same names as in the JSON).</summary>
    public static void Print(JsonObject report, TextWriter console)
    {
        var figures = Flatten(report, "").ToList();
        var width = figures.Max(f => f.Name.Length);
        console.WriteLine();
        console.WriteLine($"{"figure".PadRight(width)}  value");
        console.WriteLine($"{new string('-', width)}  -----");
        foreach (var (name, value) in figures)
            console.WriteLine($"{name.PadRight(width)}  {value}");
    }

    private static IEnumerable<(string Name, string Value)> Flatten(JsonNode? node, string prefix)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                    foreach (var figure in Flatten(child, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                        yield return figure;
                break;
            case JsonArray:
                break; // per-run lists and memory points are in the JSON
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var number = double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
                yield return (prefix, number.ToString("#,0.##", System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonValue v:
                yield return (prefix, v.ToString());
                break;
        }
    }

    /// <param name="compared">A `--compare` report (named apart: the full bench's report has a "comparison" of journals too).</param>
    private static string Save(JsonObject report, BenchOptions options, bool compared)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var name = $"{DateTime.UtcNow:yyyy-MM-dd}-{report["commit"]}{(options.Quick ? "-quick" : "")}{(compared ? "-compare" : "")}.json";
        var path = Path.Combine(options.OutputDirectory, name);
        File.WriteAllText(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }
}
