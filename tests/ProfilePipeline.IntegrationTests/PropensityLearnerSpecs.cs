using Akka.Actor;
using Akka.Configuration;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Entities;
using ProfilePipeline.Learning;
using ProfilePipeline.Node.Learning;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The learner actor on a real SQLite journal: its journal is the model registry, and it survives a restart.</summary>
public sealed class PropensityLearnerSpecs
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly LearnerSettings Fast = new() { MiniBatch = 200, ColdStartLabels = 200, ShadowExamples = 200, TrainingWindow = 1_000 };

    private static Config Configuration(string database) => ConfigurationFactory.ParseString("akka.loglevel = WARNING")
        .WithFallback(LearnerSerializer.Configuration)
        .WithFallback(ProfileSerializer.Configuration)
        .WithFallback(PersistenceConfig.Sqlite(database));

    /// <summary>Labels from a known logistic model: carts and views raise the odds of a purchase. Each seed gives its own decision points.</summary>
    private static IEnumerable<LabeledExample> Labels(int seed, int count)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var raw = new float[PropensityFeatures.Count];
            for (var f = 0; f < raw.Length; f++)
                raw[f] = (float)(random.NextDouble() * 2);
            var logit = -2.5 + 2.5 * raw[PropensityFeatures.CartAdds24h] + raw[PropensityFeatures.Views24h];
            var at = 1_767_225_600_000L + i * 1_000L;
            yield return new LabeledExample(new DecisionPoint($"u{i % 300}", $"s{seed}-e{i}", at, DecisionPointSettings.CartAdd, raw),
                random.NextDouble() < 1 / (1 + Math.Exp(-logit)), at);
        }
    }

    [Fact]
    public async Task Promoted_versions_rejections_and_rollbacks_are_in_the_registry_after_a_restart_and_the_same_version_serves()
    {
        var folder = TestData.NewFolder("learner");
        var database = Path.Combine(folder, "profiles.db");
        ModelHistory before;
        int rolledBackTo;
        using (var system = ActorSystem.Create("learner", Configuration(database)))
        {
            var learner = system.ActorOf(PropensityLearnerActor.Props(Fast, publishToCluster: false), "learner");
            foreach (var chunk in Labels(1, 3_000).Chunk(100))
                learner.Tell(new LabelsResolved([.. chunk]));
            var status = await learner.Ask<LearnerStatus>(GetLearnerStatus.Instance, Timeout);
            Assert.Equal(3_000, status.LabelsSeen);
            before = await learner.Ask<ModelHistory>(GetModelHistory.Instance, Timeout);
            Assert.True(before.Promoted.Length >= 2, $"{before.Promoted.Length} versions promoted");
            Assert.True(status.Metrics.Auc > 0.7, $"prequential AUC {status.Metrics.Auc}");

            rolledBackTo = before.Promoted[0].Number;
            var rollback = await learner.Ask<ModelRollback>(new RollbackModel(rolledBackTo), Timeout);
            Assert.Equal(before.Promoted[^1].Name, rollback.From);
            await Assert.ThrowsAsync<ArgumentException>(() => learner.Ask<ModelRollback>(new RollbackModel(999), Timeout));
            await system.Terminate();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using (var system = ActorSystem.Create("learner", Configuration(database)))
        {
            var learner = system.ActorOf(PropensityLearnerActor.Props(Fast, publishToCluster: false), "learner");
            var after = await learner.Ask<ModelHistory>(GetModelHistory.Instance, Timeout);
            Assert.Equal(before.Promoted.Select(v => (v.Name, v.ShadowAuc, v.Weights.Sum())), after.Promoted.Select(v => (v.Name, v.ShadowAuc, v.Weights.Sum())));
            Assert.Equal(before.Rejected.Select(r => r.Reason), after.Rejected.Select(r => r.Reason));
            Assert.Equal([rolledBackTo], after.Rollbacks.Select(r => r.To));
            var serving = await learner.Ask<ServingModel>(GetServingModel.Instance, Timeout);
            Assert.Equal(rolledBackTo, serving.Version!.Number);

            // Learning resumes from the restored version and numbers new versions after every earlier one.
            foreach (var chunk in Labels(2, 1_500).Chunk(100))
                learner.Tell(new LabelsResolved([.. chunk]));
            var resumed = await learner.Ask<ModelHistory>(GetModelHistory.Instance, Timeout);
            var newest = resumed.Promoted.Concat<object>(resumed.Rejected).Count() > after.Promoted.Length + after.Rejected.Length;
            Assert.True(newest, "learning went on after the restart");
            Assert.True(resumed.Promoted[^1].Number > before.Promoted.Max(v => v.Number) || resumed.Rejected.Any(r => r.Number > before.Promoted.Max(v => v.Number)));
            await system.Terminate();
        }
    }

    [Fact]
    public async Task The_learner_goes_on_after_a_restart_exactly_where_it_was_and_takes_a_label_delivered_again_once()
    {
        var folder = TestData.NewFolder("learner-state");
        var database = Path.Combine(folder, "profiles.db");
        var settings = Fast with { SnapshotEvery = 700 }; // 3,000 labels: four snapshots, and 200 labels replayed after the last
        var labels = Labels(5, 3_000).ToList();
        LearnerStatus before;
        using (var system = ActorSystem.Create("learner", Configuration(database)))
        {
            var learner = system.ActorOf(PropensityLearnerActor.Props(settings, publishToCluster: false), "learner");
            foreach (var chunk in labels.Chunk(100))
                Assert.Equal(new LabelsAccepted(100, 100), await learner.Ask<LabelsAccepted>(new LabelsResolved([.. chunk]), Timeout));
            // Delivered again (a node restarted between delivering them and closing their points): taken once.
            Assert.Equal(new LabelsAccepted(150, 50), await learner.Ask<LabelsAccepted>(
                new LabelsResolved([.. labels.Skip(2_900), .. Labels(6, 50).Select(l => l with { Point = l.Point with { EventId = "again-" + l.Point.EventId } })]), Timeout));
            // The same point with the other label (two nodes released it, one missed the purchase): the first is kept, the conflict counted.
            Assert.Equal(new LabelsAccepted(1, 0), await learner.Ask<LabelsAccepted>(
                new LabelsResolved([labels[7] with { Purchased = !labels[7].Purchased }]), Timeout));
            before = await learner.Ask<LearnerStatus>(GetLearnerStatus.Instance, Timeout);
            Assert.Equal(3_050, before.LabelsSeen);
            Assert.Equal(1, before.ConflictingLabels);
            await system.Terminate();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using (var system = ActorSystem.Create("learner", Configuration(database)))
        {
            var learner = system.ActorOf(PropensityLearnerActor.Props(settings, publishToCluster: false), "learner");
            var after = await learner.Ask<LearnerStatus>(GetLearnerStatus.Instance, Timeout);
            Assert.Equal(Essentials(before), Essentials(after));
            Assert.Equal(before.Metrics.Calibration, after.Metrics.Calibration);
            Assert.Equal(new LabelsAccepted(100, 0), await learner.Ask<LabelsAccepted>(new LabelsResolved([.. labels.Skip(2_000).Take(100)]), Timeout));

            // Learning goes on as it would have without the restart: the same labels give the same evaluation.
            var unbroken = new OnlineLearner(settings, Domain.Scoring.RuleBasedPropensityModel.Instance);
            foreach (var label in labels)
                unbroken.Observe(label);
            foreach (var label in Labels(6, 50).Select(l => l with { Point = l.Point with { EventId = "again-" + l.Point.EventId } }))
                unbroken.Observe(label);
            var more = Labels(7, 1_000).ToList();
            foreach (var chunk in more.Chunk(100))
                await learner.Ask<LabelsAccepted>(new LabelsResolved([.. chunk]), Timeout);
            foreach (var label in more)
                unbroken.Observe(label);
            var resumed = await learner.Ask<LearnerStatus>(GetLearnerStatus.Instance, Timeout);
            Assert.Equal(unbroken.LabelsSeen, resumed.LabelsSeen);
            Assert.Equal(unbroken.Metrics.Snapshot().Examples, resumed.Metrics.Examples);
            Assert.Equal(unbroken.Metrics.Snapshot().Positives, resumed.Metrics.Positives);
            // A training after the restart warm-starts from the last fit, kept in the snapshot: the evaluation is the same.
            Assert.Equal(unbroken.Metrics.Snapshot().Auc, resumed.Metrics.Auc, 9);
            Assert.Equal(unbroken.Metrics.Snapshot().LogLoss, resumed.Metrics.LogLoss, 9);
            await system.Terminate();
        }
    }

    /// <summary>What must be equal after a restart: every count and metric, what serves, and whether a candidate is in shadow.</summary>
    private static object Essentials(LearnerStatus s) => (s.LabelsSeen, s.Serving, s.CandidateInShadow, s.Promoted, s.Rejected, s.Metrics.Examples,
        s.Metrics.Positives, s.Metrics.Auc, s.Metrics.WindowAuc, s.Metrics.LogLoss, s.Metrics.Precision, s.Metrics.Recall);
}
