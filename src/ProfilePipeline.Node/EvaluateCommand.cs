using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Entities;
using ProfilePipeline.Learning;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>
/// `evaluate`: replays a data set (a file, or the generator) in event time through the same profile fold, decision
/// points, labels and online learner as the pipeline, and reports the prequential metrics over time beside a batch
/// reference (FastTree on the same examples, split in time), so that the cost of learning online is visible.
/// </summary>
public static class EvaluateCommand
{
    public static Command Build()
    {
        var input = new Option<string?>("--input") { Description = "An event log; without it the generator is used." };
        var format = new Option<string>("--format") { Description = $"Input format: {string.Join(", ", RecordFormats.Names)}.", DefaultValueFactory = _ => "jsonl" };
        var map = new Option<string?>("--map") { Description = "Column mapping for --format csv." };
        var events = new Option<long>("--events") { Description = "Generator: number of records.", DefaultValueFactory = _ => 300_000 };
        var users = new Option<int>("--users") { Description = "Generator: number of users.", DefaultValueFactory = _ => 5_000 };
        var seed = new Option<ulong>("--seed") { Description = "Generator: seed.", DefaultValueFactory = _ => 42 };
        var shift = new Option<double?>("--concept-shift") { Description = "Generator: a concept shift at this fraction of the time span (e.g. 0.5): engaged shoppers' carts stop converting, casual shoppers' start." };
        var horizon = new Option<string?>("--horizon") { Description = "Purchase horizon of a label, e.g. 30m, 2h, 7d (default: learning.horizon)." };
        var config = new Option<string?>("--config") { Description = "A HOCON file overriding config/profilepipeline.conf." };
        var json = new Option<bool>("--json") { Description = "The report as JSON." };
        var command = new Command("evaluate", "Replay a data set in event time and report the online learner's prequential metrics beside a batch reference.")
        {
            input, format, map, events, users, seed, shift, horizon, config, json,
        };
        command.SetAction(async (result, _) =>
        {
            try
            {
                var nodeConfig = NodeConfig.Load(result.GetValue(config), Path.GetTempPath());
                var learning = LearningConfig.From(nodeConfig, result.GetValue(horizon) is { } h ? LearningConfig.ParseDuration(h) : null);
                var settings = new EvaluationSettings(UserProfileSettings.FromConfig(nodeConfig).Profile, learning.DecisionPoints, learning.Learner);
                var cleaner = new BehaviorCleaner(new Pseudonymizer(nodeConfig.GetString("profile-pipeline.pseudonym-key")), GraphConfig.Cleaner(nodeConfig),
                    () => DateTimeOffset.UtcNow);
                string source;
                IEnumerable<RawBehavior> records;
                long? shiftAt = null;
                if (result.GetValue(input) is { } path)
                {
                    if (!File.Exists(path))
                        throw new FileNotFoundException($"--input {path} does not exist");
                    var recordFormat = RecordFormats.Create(result.GetValue(format)!, result.GetValue(map));
                    source = $"{path} ({recordFormat.Name})";
                    records = RecordSources.ReadFile(path, recordFormat, RecordSources.FileSourceId(path, recordFormat), -1);
                }
                else
                {
                    var generator = new GeneratorSettings
                    {
                        Events = result.GetValue(events), Users = result.GetValue(users), Seed = result.GetValue(seed), ConceptShiftAt = result.GetValue(shift),
                    }.Validate();
                    if (generator.ConceptShiftAt is { } fraction)
                        shiftAt = generator.Start.ToUnixTimeMilliseconds() + (long)(fraction * generator.Horizon.TotalMilliseconds);
                    source = $"generator (seed {generator.Seed}, {generator.Events:N0} records, {generator.Users:N0} users"
                             + (generator.ConceptShiftAt is { } s ? $", concept shift at {s:P0} of the span)" : ")");
                    records = RecordSources.ReadGenerator(generator, -1);
                }
                var cleaned = records.Select(r => cleaner.Clean(r).Event).OfType<BehaviorEvent>();
                var report = PrequentialReplay.Run(cleaned, settings, shiftAt);
                if (result.GetValue(json))
                    Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
                else
                    Print(report, source, learning, Console.Out);
                return 0;
            }
            catch (Exception e) when (e is FormatException or FileNotFoundException or Akka.Configuration.ConfigurationException or ArgumentException)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    public static void Print(EvaluationReport r, string source, LearningConfig learning, TextWriter o)
    {
        var c = CultureInfo.InvariantCulture;
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F3", c);
        o.WriteLine(string.Create(c, $"evaluate: {source}; horizon {learning.DecisionPoints.Horizon}; decision points at least {learning.DecisionPoints.MinGap} apart, a fit every {learning.Learner.MiniBatch:N0} labels; {r.Elapsed.TotalSeconds:F1} s"));
        o.WriteLine(string.Create(c,
            $"events {r.Events:N0}, decision points {r.DecisionPoints:N0}, labelled {r.Labelled:N0} (positive {r.Positives:N0} = {(r.Labelled == 0 ? 0 : (double)r.Positives / r.Labelled):P1}), too late {r.TooLate:N0}, dropped {r.Dropped:N0}"));
        var m = r.Online;
        o.WriteLine(string.Create(c,
            $"online, prequential over every label: AUC {F(m.Auc)}, last {learning.Learner.MetricsWindow:N0} labels {F(m.WindowAuc)}, log loss {F(m.LogLoss)}, precision/recall/F1 at {m.Threshold} {F(m.Precision)}/{F(m.Recall)}/{F(m.F1)}"));
        o.WriteLine(string.Create(c,
            $"time split, last {r.TestExamples:N0} labels by decision time: online AUC {F(r.OnlineTestAuc)}, batch reference (FastTree on the first {r.TrainExamples:N0}) {F(r.BatchTestAuc)}, difference {F(r.BatchTestAuc - r.OnlineTestAuc)}"));
        o.WriteLine(string.Create(c, $"versions: {r.Promoted.Count} promoted, {r.Rejected.Count} rejected; serving at the end: {(r.Promoted.Count == 0 ? "rules-v1" : r.Promoted[^1].Name)}"));
        foreach (var rejected in r.Rejected.Take(5))
            o.WriteLine(string.Create(c, $"  online-v{rejected.Number} rejected after {rejected.LabelsSeen:N0} labels: {rejected.Reason}"));
        o.WriteLine("over time (labels so far, AUC of the last block, serving model):");
        foreach (var point in r.OverTime)
            o.WriteLine(string.Create(c, $"  {point.Labels,10:N0}  {F(point.WindowAuc)}  {point.Model}"));
        o.WriteLine("calibration (score range: labels, mean predicted, observed):");
        foreach (var bin in m.Calibration)
            o.WriteLine(string.Create(c, $"  [{bin.From:F1}, {bin.To:F1}): {bin.Examples,9:N0}  {bin.MeanPredicted:F3}  {bin.Observed:F3}"));
        if (r.Shift is { } s)
        {
            o.WriteLine(string.Create(c,
                $"concept shift at {DateTimeOffset.FromUnixTimeMilliseconds(s.ShiftAt):O}: AUC before {F(s.BaselineAuc)}, lowest after {F(s.LowestAuc)}, settled at {F(s.SettledAuc)} (windows of {s.Window:N0} labels); within 0.02 of settled {(s.LabelsToRecover is { } n ? "after " + n.ToString("N0", c) + " labels" : "never")}"));
            o.WriteLine(string.Create(c, $"  after the shift: online AUC {F(s.OnlineAuc)}; the model serving at the shift, frozen: {F(s.FrozenAuc)}"));
        }
    }
}
