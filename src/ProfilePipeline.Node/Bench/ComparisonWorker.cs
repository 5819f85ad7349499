using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProfilePipeline.Node.Bench;

/// <summary>What a comparison keeps of one run (<see cref="BenchPipeline.Result"/> without its metrics), as a worker process reports it.</summary>
/// <param name="ProcessorTime">The worker's CPU time during the run (all threads, user and system).</param>
/// <param name="ProcessId">The process the run was made in.</param>
public sealed record RunFigures(
    long Records, TimeSpan Elapsed, TimeSpan ProcessorTime, GcActivity Gc, double P99LatencyMs, long Applied, long DecisionPoints, long LabelsReleased,
    int ProcessId)
{
    /// <summary>What the JIT compiled during the run.</summary>
    public JitActivity Jit { get; init; } = JitActivity.None;

    [JsonIgnore]
    public double EventsPerSecond => Records / Elapsed.TotalSeconds;

    /// <summary>Cores kept busy on average: near the machine's count, the run was bound by CPU; well below, by waiting.</summary>
    [JsonIgnore]
    public double CoresBusy => ProcessorTime / Elapsed;

    public static RunFigures Of(BenchPipeline.Result r) => new(r.Records, r.Elapsed, r.ProcessorTime, r.Gc, r.Metrics.Latency.Quantile(0.99).TotalMilliseconds,
        r.Metrics.Applied, r.Metrics.DecisionPoints, r.Metrics.LabelsReleased, Environment.ProcessId)
    {
        Jit = r.Jit,
    };
}

/// <summary>
/// A worker process of `bench --compare`: this program again, as `bench --worker file`, serving runs of one
/// configuration on request (<see cref="BenchRunner.ServeAsync"/>). Requests and answers are lines on its standard
/// input and output; anything else it prints is passed over, and its last lines of standard error are kept for the
/// message if it fails.
/// </summary>
internal sealed class ComparisonWorker : IAsyncDisposable
{
    public const string Ready = "bench-worker ready";
    public const string Run = "run ";
    public const string Result = "bench-worker result ";
    public const string Exit = "exit";

    private const int ErrorLinesKept = 40;
    private readonly Process _process;
    private readonly Queue<string> _lastErrors = new();

    private ComparisonWorker(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>Starts the worker for <paramref name="configFile"/> and waits until it has generated its events.</summary>
    public static async Task<ComparisonWorker> StartAsync(string name, string configFile, BenchOptions options, string workDirectory)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ComparisonWorker).Assembly.Location);
        foreach (var argument in new[]
        {
            "bench", "--worker", Path.GetFullPath(configFile), "--events", options.Events.ToString(CultureInfo.InvariantCulture),
            "--users", options.Users.ToString(CultureInfo.InvariantCulture), "--work-dir", Path.GetFullPath(workDirectory), "--no-save",
        })
            start.ArgumentList.Add(argument);
        var worker = new ComparisonWorker(name, Process.Start(start) ?? throw new InvalidOperationException($"bench: could not start the worker for {name}"));
        worker._process.ErrorDataReceived += (_, line) => worker.KeepError(line.Data);
        worker._process.BeginErrorReadLine();
        await worker.AnswerAsync(Ready).ConfigureAwait(false);
        return worker;
    }

    /// <summary>One run on the journal named <paramref name="journalKey"/>, in the worker, and its figures.</summary>
    public async Task<RunFigures> RunAsync(string journalKey)
    {
        await _process.StandardInput.WriteLineAsync(Run + journalKey).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var answer = await AnswerAsync(Result).ConfigureAwait(false);
        return JsonSerializer.Deserialize<RunFigures>(answer[Result.Length..])
            ?? throw new InvalidDataException($"bench: the worker for {Name} answered '{answer}'");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await _process.StandardInput.WriteLineAsync(Exit).ConfigureAwait(false);
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // it has just exited
            }
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(patience.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    /// <summary>The next line of its output that starts with <paramref name="prefix"/>; a failure with its last errors if it exits first.</summary>
    private async Task<string> AnswerAsync(string prefix)
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return line;
        }
        await _process.WaitForExitAsync().ConfigureAwait(false);
        string errors;
        lock (_lastErrors)
            errors = string.Join(Environment.NewLine, _lastErrors);
        throw new InvalidOperationException($"bench: the worker for {Name} exited with code {_process.ExitCode} before answering; its last errors:{Environment.NewLine}{errors}");
    }

    private void KeepError(string? line)
    {
        if (line is null)
            return;
        lock (_lastErrors)
        {
            _lastErrors.Enqueue(line);
            if (_lastErrors.Count > ErrorLinesKept)
                _lastErrors.Dequeue();
        }
    }

    /// <summary>The dotnet host this process runs on (the worker is this program's assembly), else the one on the path.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        return Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }
}
