namespace ProfilePipeline.Node.Bench;

/// <summary>What `bench` measures and how much: the defaults take a few minutes, <see cref="Quick"/> under one.</summary>
public sealed record BenchOptions
{
    public long Events { get; init; } = 1_000_000;
    public int Users { get; init; } = 100_000;
    public int Runs { get; init; } = 3;
    public ulong Seed { get; init; } = 42;
    public int[] MemoryUsers { get; init; } = [10_000, 100_000, 250_000];
    public int EventsPerMemoryUser { get; init; } = 10;
    public TimeSpan LatencyDuration { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>Offered at the same rate before the measured part, and left out of it.</summary>
    public TimeSpan LatencyWarmUp { get; init; } = TimeSpan.FromSeconds(5);
    public int RecoverySample { get; init; } = 1000;
    /// <summary>Events for the comparison run on Akka.Persistence.Sql (it is several times slower).</summary>
    public long ComparisonEvents { get; init; } = 200_000;
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "profilepipeline-bench");
    public string OutputDirectory { get; init; } = "benchmarks";
    public bool Save { get; init; } = true;
    public bool Quick { get; init; }

    /// <summary>
    /// `--compare`: worker processes per configuration. Two processes of one configuration differed by 12% here, in
    /// every round of one comparison, so each configuration's figure is taken over several.
    /// </summary>
    public int ProcessesPerConfiguration { get; init; } = 3;

    /// <summary>
    /// `--compare`: unmeasured runs of each worker before the rounds. After one, the JIT was still compiling in the
    /// measured runs, more so with learning: ML.NET's code, which runs only in the fits (one every `mini-batch` labels), was
    /// still being recompiled at its optimised tier in a process's fifth run. After three, it compiled for a fraction of
    /// a second a run.
    /// </summary>
    public int WarmUpRuns { get; init; } = 3;

    /// <summary>A HOCON file applied to every node the bench starts, as `run --config` does.</summary>
    public string? ConfigFile { get; init; }

    public static BenchOptions QuickSettings(BenchOptions o) => o with
    {
        Quick = true,
        Events = 100_000,
        Users = 10_000,
        Runs = 1,
        MemoryUsers = [2_000, 5_000, 10_000],
        LatencyDuration = TimeSpan.FromSeconds(4),
        LatencyWarmUp = TimeSpan.FromSeconds(2),
        RecoverySample = 200,
        ComparisonEvents = 20_000,
    };
}
