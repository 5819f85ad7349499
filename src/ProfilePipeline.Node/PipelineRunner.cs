using System.Diagnostics;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Enrichment;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>
/// The `run` command: starts the node, runs the graph over the chosen source until it is exhausted (or a drain
/// is requested), shows progress and returns the summary. Resumes after the source's checkpoint.
/// </summary>
public sealed class PipelineRunner(RunOptions options, TextWriter console)
{
    public async Task<RunSummary> RunAsync(CancellationToken drain)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        using var runLock = RunLock.Acquire(dataDirectory);
        var config = NodeConfig.Load(options.ConfigFile, dataDirectory);
        var key = config.GetString("profile-pipeline.pseudonym-key");
        if (key == NodeConfig.DefaultPseudonymKey)
            console.WriteLine("warning: using the development pseudonymisation key; set PROFILE_PIPELINE_PSEUDONYM_KEY in production");
        var pseudonymizer = new Pseudonymizer(key);

        var (source, sourceId, sideData) = PrepareSource(dataDirectory, pseudonymizer);
        var metrics = new PipelineMetrics();
        using var outputs = new OutputFiles(dataDirectory, new CheckpointStore(Path.Combine(dataDirectory, "checkpoint.json")), metrics);
        var resumeAfter = outputs.Checkpoint.OffsetOf(sourceId);
        if (resumeAfter >= 0)
            console.WriteLine($"resuming {sourceId} after offset {resumeAfter}");

        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var parts = new ProfileGraphParts(
            new BehaviorCleaner(pseudonymizer, GraphConfig.Cleaner(config), () => DateTimeOffset.UtcNow),
            sideData.Current,
            node.Profiles,
            new ProfileScorer(GraphConfig.Scoring(config)),
            new ModelHolder(RuleBasedPropensityModel.Instance),
            outputs,
            metrics);
        var stopwatch = Stopwatch.StartNew();
        var (drainSwitch, completion) = ProfileGraph.Create(source(resumeAfter), parts, GraphConfig.Graph(config))
            .Run(node.System.Materializer());
        var drained = false;
        await using (drain.Register(() => { drained = true; drainSwitch.Shutdown(); }))
        {
            var progress = new ProgressReporter(metrics, console);
            while (await Task.WhenAny(completion, Task.Delay(options.ProgressInterval, CancellationToken.None)).ConfigureAwait(false) != completion)
            {
                progress.Report(stopwatch.Elapsed);
                if (sideData.ReloadIfChanged() is { } reloaded)
                    console.WriteLine(reloaded);
            }
            await completion.ConfigureAwait(false);
        }
        stopwatch.Stop();
        var summary = new RunSummary(sourceId, metrics.Read, metrics.Applied, metrics.Duplicates, metrics.Redelivered,
            metrics.DeadLetters, metrics.DeadLettersByReason.ToDictionary(), metrics.ProfilesWritten, metrics.UnknownItems,
            metrics.Users, stopwatch.Elapsed, metrics.Latency.Quantile(0.5), metrics.Latency.Quantile(0.99), drained);
        SummaryPrinter.Print(summary, metrics, dataDirectory, console);
        return summary;
    }

    private (Func<long, Source<PipelineItem, NotUsed>> Source, string SourceId, SideDataFiles SideData) PrepareSource(
        string dataDirectory, Pseudonymizer pseudonymizer)
    {
        if (options.Input is { } input)
        {
            if (!File.Exists(input))
                throw new FileNotFoundException($"--input {input} does not exist");
            var format = RecordFormats.Create(options.Format, options.Map);
            using (var reader = new StreamReader(input))
                format.ReadHeader(format.HasHeader ? reader.ReadLine() : null);
            var sourceId = RecordSources.FileSourceId(input, format);
            var side = new SideDataFiles(options.Catalogue, options.UserAttributes, pseudonymizer);
            return (resumeAfter => RecordSources.FromFile(input, format, sourceId, resumeAfter), sourceId, side);
        }

        var generator = new GeneratorSettings
        {
            Events = options.Events,
            Users = options.Users,
            Seed = options.Seed,
            MalformedShare = options.MalformedShare,
            DuplicateShare = options.DuplicateShare,
        }.Validate();
        var catalogue = options.Catalogue;
        var users = options.UserAttributes;
        if (catalogue is null || users is null)
        {
            // The generator's own side data, so that the enrich stage has something real to join.
            var behavior = new BehaviorGenerator(generator);
            catalogue ??= Path.Combine(dataDirectory, "generator-items.csv");
            users ??= Path.Combine(dataDirectory, "generator-users.csv");
            behavior.Catalogue.WriteCsv(catalogue);
            behavior.WriteUserAttributesCsv(users);
        }
        console.WriteLine($"generating {generator.Events:N0} events for {generator.Users:N0} users (seed {generator.Seed})");
        return (resumeAfter => RecordSources.FromGenerator(generator, resumeAfter), generator.SourceId,
            new SideDataFiles(catalogue, users, pseudonymizer));
    }
}
