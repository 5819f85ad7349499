using Akka.Actor;
using System.Diagnostics;
using Akka;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Kafka;
using ProfilePipeline.Node.Admin;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>
/// The `run` command: starts the node and runs the graph, on files (until the input is exhausted; resumes after
/// the checkpoint) or on Kafka (until drained; resumes after the group's committed offsets). Shows progress and
/// returns the summary.
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
        var input = PrepareInput(dataDirectory, pseudonymizer);
        var metrics = new PipelineMetrics();

        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var parts = GraphConfig.Parts(config, pseudonymizer, input.SideData.Current, node, metrics);
        var admin = AdminSettings.From(config, dataDirectory);
        var eraser = new ProfileEraser(node.Profiles);
        var rebuilds = new ProfileRebuilds(node, parts);
        await using var adminEndpoint = admin.Enabled
            ? await AdminEndpoint.StartAsync(admin, metrics, parts.Gate, node, pseudonymizer, eraser, rebuilds, dataDirectory).ConfigureAwait(false)
            : null;
        if (adminEndpoint is not null)
            console.WriteLine($"admin endpoint at {adminEndpoint.Address}" + (admin.TokenFile is null ? "" : $" (token in {admin.TokenFile})"));
        var graph = GraphConfig.Graph(config);
        var stopwatch = new Stopwatch(); // started by the run once its input is ready, so that loading a broker is not counted
        var drained = options.Kafka is null
            ? await RunOnFilesAsync(dataDirectory, input, parts, graph, node, eraser, rebuilds, stopwatch, drain).ConfigureAwait(false)
            : await RunOnKafkaAsync(config, input, parts, graph, node, eraser, rebuilds, stopwatch, drain).ConfigureAwait(false);
        stopwatch.Stop();
        var summary = new RunSummary(options.Kafka is null ? input.SourceId : $"kafka:{options.Kafka}", metrics.Read, metrics.Applied,
            metrics.Duplicates, metrics.Redelivered, metrics.DeadLetters, metrics.DeadLettersByReason.ToDictionary(), metrics.ProfilesWritten,
            metrics.UnknownItems, metrics.Users, stopwatch.Elapsed, metrics.Latency.Quantile(0.5), metrics.Latency.Quantile(0.99), drained);
        var learner = node.Learner is null ? null : await LearnerStatusAsync(node.Learner).ConfigureAwait(false);
        SummaryPrinter.Print(summary, metrics, learner, dataDirectory, options.Kafka is null, console);
        return summary;
    }

    /// <summary>What the learner singleton has learned so far (over every run on this store), or null if it does not answer in time.</summary>
    private static async Task<Learning.LearnerStatus?> LearnerStatusAsync(Akka.Actor.IActorRef learner)
    {
        try
        {
            return await learner.Ask<Learning.LearnerStatus>(Learning.GetLearnerStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return null;
        }
    }

    private async Task<bool> RunOnFilesAsync(string dataDirectory, Input input, ProfileGraphParts parts, ProfileGraphSettings graph,
        ClusterNode node, ProfileEraser eraser, ProfileRebuilds rebuilds, Stopwatch stopwatch, CancellationToken drain)
    {
        stopwatch.Start();
        using var outputs = new OutputFiles(dataDirectory, new CheckpointStore(Path.Combine(dataDirectory, "checkpoint.json")), parts.Metrics,
            parts.Checkpoints, node.Erasures);
        eraser.Outputs = outputs;
        rebuilds.Outputs = outputs;
        var resumeAfter = outputs.Checkpoint.OffsetOf(input.SourceId);
        if (resumeAfter >= 0)
            console.WriteLine($"resuming {input.SourceId} after offset {resumeAfter}");
        var source = RecordSources.From(() => input.Records(resumeAfter));
        if (options.Rate > 0 && options.Input is null)
            source = source.Throttle(options.Rate, TimeSpan.FromSeconds(1), Math.Max(1, options.Rate / 10), ThrottleMode.Shaping);
        var (_, drainSwitch, completion) = ProfileGraph.Create(source, parts, outputs.AsFlow(graph.OutputBatch, graph.OutputInterval, graph.CheckpointInterval), graph)
            .Run(node.System.Materializer());
        var drained = false;
        // A paused gate holds one record: let it through, or the drain would wait for it forever.
        await using (drain.Register(() => { drained = true; drainSwitch.Shutdown(); parts.Gate.Resume(); }))
            await ShowProgressUntilAsync(completion, parts.Metrics, input.SideData, () => { }).ConfigureAwait(false);
        eraser.Outputs = null; // the files close with this method
        rebuilds.Outputs = null;
        return drained;
    }

    private async Task<bool> RunOnKafkaAsync(Config config, Input input, ProfileGraphParts parts, ProfileGraphSettings graph,
        ClusterNode node, ProfileEraser eraser, ProfileRebuilds rebuilds, Stopwatch stopwatch, CancellationToken drain)
    {
        using var embedded = options.Kafka == RunOptions.EmbeddedKafka ? MockKafkaCluster.Start() : null;
        var kafka = KafkaConfig.From(config, embedded?.BootstrapServers ?? options.Kafka!, embedded is not null);
        void Log(string line) => console.WriteLine(line);
        using var producer = KafkaProducer.Create(kafka.Producer, Log);
        stopwatch.Start();
        var materializer = node.System.Materializer();
        var maxPayload = config.GetInt("profile-pipeline.clean.max-payload-bytes");
        var (control, source) = KafkaRecordSource.Create(kafka.Consumer, maxPayload, Log).PreMaterialize(materializer);
        parts.Metrics.ConsumerLag = () => control.Lag;
        var outputs = KafkaOutputs.Create(kafka.Producer, producer, kafka.Topics, control, parts.Metrics, kafka.CommitBatch, kafka.CommitInterval,
            parts.Checkpoints, node.Erasures, Log);
        eraser.Outputs = new KafkaTombstones(producer, kafka.Topics, parts.Metrics);
        rebuilds.Outputs = new KafkaRepublisher(producer, kafka.Topics, node.Erasures);
        var (_, _, completion) = ProfileGraph.Create(source, parts with { Assignments = control.Assignments }, outputs, graph).Run(materializer);
        var drained = false;
        var draining = new Lazy<Task>(() => control.DrainAndShutdownAsync(completion)); // thread-safe: Ctrl+C and the end of input may race
        void Drain() => _ = draining.Value;

        Task<long>? feeding = null;
        long fed = -1; // records loaded into the embedded broker, once the feed has finished
        if (embedded is not null)
        {
            console.WriteLine($"embedded Kafka (librdkafka's mock cluster: for trying it out, not for production) at {embedded.BootstrapServers}");
            console.WriteLine($"  watch it with: kcat -b {embedded.BootstrapServers.Split(',')[0]} -C -t {kafka.Topics.Profiles}");
            feeding = Task.Run(async () =>
            {
                var sent = await KafkaFeeder.ProduceAsync(input.Records(-1), producer, kafka.Topics.Events, input.IsCanonicalJson, drain,
                    (count, cancel) => KeepAheadOfConsumerAsync(count, parts.Metrics, cancel)).ConfigureAwait(false);
                Volatile.Write(ref fed, sent);
                return sent;
            }, CancellationToken.None);
        }
        await using (drain.Register(() => { drained = true; Drain(); parts.Gate.Resume(); })) // a paused gate would hold the drain
        {
            await ShowProgressUntilAsync(completion, parts.Metrics, input.SideData, () =>
            {
                if (feeding is { IsFaulted: true } or { IsCanceled: true })
                    Drain();
                else if (Volatile.Read(ref fed) is >= 0 and var total && !options.Follow && parts.Metrics.Completed >= total)
                    Drain();
            }).ConfigureAwait(false);
        }
        Drain();
        await draining.Value.ConfigureAwait(false);
        if (feeding is not null && !drained)
            console.WriteLine($"loaded {await feeding.ConfigureAwait(false):N0} records into {kafka.Topics.Events}");
        eraser.Outputs = null;
        rebuilds.Outputs = null;
        producer.Flush(TimeSpan.FromSeconds(30));
        return drained;
    }

    /// <summary>
    /// The mock broker keeps only the newest ~17,000 records of a partition (it trims older log segments), so the
    /// embedded feed stays at most <see cref="EmbeddedFeedAhead"/> records ahead of what the pipeline has read.
    /// </summary>
    private const long EmbeddedFeedAhead = 20_000;

    private static async Task KeepAheadOfConsumerAsync(long sent, PipelineMetrics metrics, CancellationToken cancel)
    {
        while (sent - metrics.Read > EmbeddedFeedAhead)
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancel).ConfigureAwait(false);
    }

    private async Task ShowProgressUntilAsync(Task completion, PipelineMetrics metrics, SideDataFiles sideData, Action onTick)
    {
        var progress = new ProgressReporter(metrics, console);
        var started = Stopwatch.StartNew();
        // Checks for the end of a finite Kafka input often; prints progress at the configured interval.
        var tick = TimeSpan.FromMilliseconds(Math.Min(200, options.ProgressInterval.TotalMilliseconds));
        var nextReport = options.ProgressInterval;
        while (await Task.WhenAny(completion, Task.Delay(tick, CancellationToken.None)).ConfigureAwait(false) != completion)
        {
            onTick();
            if (started.Elapsed < nextReport)
                continue;
            nextReport += options.ProgressInterval;
            progress.Report(started.Elapsed);
            if (sideData.ReloadIfChanged() is { } reloaded)
                console.WriteLine(reloaded);
        }
        await completion.ConfigureAwait(false);
    }

    /// <summary>What to read: records from a position on, their source id, and the side data to join.</summary>
    private sealed record Input(string SourceId, Func<long, IEnumerable<RawBehavior>> Records, bool IsCanonicalJson, SideDataFiles SideData);

    private Input PrepareInput(string dataDirectory, Pseudonymizer pseudonymizer)
    {
        if (options.Kafka is { } kafka && kafka != RunOptions.EmbeddedKafka)
        {
            if (options.Input is not null)
                throw new ArgumentException("--input goes with --kafka embedded; to load a file into a broker use `produce`");
            // The events come from the topic; only the side data comes from files.
            return new Input($"kafka:{kafka}", _ => [], true, new SideDataFiles(options.Catalogue, options.UserAttributes, pseudonymizer));
        }
        if (options.Input is { } path)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"--input {path} does not exist");
            var format = RecordFormats.Create(options.Format, options.Map);
            using (var reader = new StreamReader(path))
                format.ReadHeader(format.HasHeader ? reader.ReadLine() : null);
            var sourceId = RecordSources.FileSourceId(path, format);
            return new Input(sourceId, resumeAfter => RecordSources.ReadFile(path, format, sourceId, resumeAfter), format is JsonLinesFormat,
                new SideDataFiles(options.Catalogue, options.UserAttributes, pseudonymizer));
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
        if (options.Kafka is null || options.Kafka == RunOptions.EmbeddedKafka)
            console.WriteLine($"generating {generator.Events:N0} events for {generator.Users:N0} users (seed {generator.Seed})");
        return new Input(generator.SourceId, resumeAfter => RecordSources.ReadGenerator(generator, resumeAfter), true,
            new SideDataFiles(catalogue, users, pseudonymizer));
    }
}
