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

    /// <summary>Labels from a known logistic model: carts and views raise the odds of a purchase.</summary>
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
            yield return new LabeledExample(new DecisionPoint($"u{i % 300}", $"e{i}", at, DecisionPointSettings.CartAdd, raw),
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
}
