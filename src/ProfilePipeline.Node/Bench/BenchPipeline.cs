using System.Diagnostics;
using Akka;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Bench;

/// <summary>Garbage collections, the time the runtime was paused for them, and the bytes allocated (all threads).</summary>
public sealed record GcActivity(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
{
    public static GcActivity Now() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public static GcActivity operator -(GcActivity a, GcActivity b) =>
        new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused, a.Allocated - b.Allocated);

    public override string ToString() =>
        $"GC paused {Paused.TotalMilliseconds:N0} ms ({Gen0} gen0, {Gen1} gen1, {Gen2} gen2), {Allocated / 1_000_000.0:N0} MB allocated";
}

/// <summary>
/// Methods the JIT compiled (first compilations and the tiered recompilations of hot code) and the time it spent on
/// them, all threads. A process that still compiles much is not yet in its steady state.
/// </summary>
public sealed record JitActivity(long Methods, TimeSpan Time)
{
    public static readonly JitActivity None = new(0, TimeSpan.Zero);

    public static JitActivity Now() => new(System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());

    public static JitActivity operator -(JitActivity a, JitActivity b) => new(a.Methods - b.Methods, a.Time - b.Time);

    public override string ToString() => $"JIT {Methods:N0} methods in {Time.TotalMilliseconds:N0} ms";
}

/// <summary>One measured run of the whole graph (the same parts as `run`) over records held in memory.</summary>
public static class BenchPipeline
{
    /// <param name="ProcessorTime">The whole process's CPU time meanwhile (all threads, user and system).</param>
    public sealed record Result(long Records, TimeSpan Elapsed, PipelineMetrics Metrics, GcActivity Gc, TimeSpan ProcessorTime)
    {
        /// <summary>What the JIT compiled meanwhile.</summary>
        public JitActivity Jit { get; init; } = JitActivity.None;

        public double EventsPerSecond => Records / Elapsed.TotalSeconds;

        /// <summary>Cores kept busy on average: near the machine's count, the run was bound by CPU; well below, by waiting.</summary>
        public double CoresBusy => ProcessorTime / Elapsed;
    }

    /// <summary>
    /// Runs <paramref name="records"/> through a node on <paramref name="config"/>, timed from the first pull of
    /// the source to the last checkpoint. <paramref name="shape"/> may pace the source (open-loop latency runs).
    /// </summary>
    public static async Task<Result> RunAsync(Config config, string dataDirectory, Pseudonymizer pseudonymizer, SideDataFiles sideData,
        IReadOnlyList<RawBehavior> records, Func<IReadOnlyList<RawBehavior>, PipelineMetrics, Source<PipelineItem, NotUsed>>? shape = null)
    {
        var metrics = new PipelineMetrics();
        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var parts = GraphConfig.Parts(config, pseudonymizer, sideData.Current, node, metrics);
        using var outputs = new OutputFiles(dataDirectory, new CheckpointStore(Path.Combine(dataDirectory, "checkpoint.json")), metrics, parts.Checkpoints);
        var graph = GraphConfig.Graph(config);
        var source = shape is null ? RecordSources.From(() => records) : shape(records, metrics);
        var gc = GcActivity.Now();
        var jit = JitActivity.Now();
        using var process = Process.GetCurrentProcess();
        var processorTime = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var (_, _, completion) = ProfileGraph.Create(source, parts, outputs.AsFlow(graph.OutputBatch, graph.OutputInterval, graph.CheckpointInterval), graph)
            .Run(node.System.Materializer());
        await completion.ConfigureAwait(false);
        stopwatch.Stop();
        process.Refresh();
        return new Result(records.Count, stopwatch.Elapsed, metrics, GcActivity.Now() - gc, process.TotalProcessorTime - processorTime)
        {
            Jit = JitActivity.Now() - jit,
        };
    }

    /// <summary>
    /// An open-loop source: record i is due at start + i / rate and its latency is measured from that moment,
    /// so time spent waiting because the pipeline fell behind counts (no coordinated omission). Records due in
    /// the first <paramref name="warmUp"/> (a new node allocating its shards and creating its first entities)
    /// are offered at the same rate but left out of the latency figures.
    /// </summary>
    public static Func<IReadOnlyList<RawBehavior>, PipelineMetrics, Source<PipelineItem, NotUsed>> OpenLoop(int eventsPerSecond, TimeSpan warmUp) =>
        (records, metrics) => Source.Tick(TimeSpan.Zero, TimeSpan.FromMilliseconds(1), NotUsed.Instance)
            .MapMaterializedValue(_ => NotUsed.Instance)
            .StatefulSelectMany<NotUsed, PipelineItem, NotUsed>(() =>
            {
                // A tick that finds the stream backpressured is dropped; the next one emits everything due by then,
                // each record stamped with the moment it was due, not the moment it left.
                long start = 0;
                var next = 0;
                var ticksPerEvent = (double)Stopwatch.Frequency / eventsPerSecond;
                return _ =>
                {
                    var now = Stopwatch.GetTimestamp();
                    if (start == 0)
                    {
                        start = now;
                        metrics.RecordLatencyFrom(start + (long)(warmUp.TotalSeconds * Stopwatch.Frequency));
                    }
                    var due = (int)Math.Min(records.Count, (now - start) / ticksPerEvent + 1);
                    var batch = new List<PipelineItem>(Math.Max(0, due - next));
                    for (; next < due; next++)
                        batch.Add(new PipelineItem(records[next].Position, start + (long)(next * ticksPerEvent)) { Raw = records[next] });
                    return batch;
                };
            })
            .Take(records.Count);
}
