using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Learning;
using ProfilePipeline.Node.Learning;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// The learner's labels and snapshot in their binary layouts: each comes back exactly (compared through their JSON,
/// which holds every field), the JSON layouts written before still read, and the binary ones are much smaller.
/// </summary>
public sealed class LearnerSerializerSpecs : IAsyncLifetime
{
    private static readonly JsonSerializerOptions FormerJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly ActorSystem _system = ActorSystem.Create("learner-serializer", LearnerSerializer.Configuration);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    private static List<LabeledExample> Labels(int count)
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var features = Enumerable.Range(0, PropensityFeatures.Count).Select(_ => (float)(random.NextDouble() * 3)).ToArray();
            var purchased = random.NextDouble() < 1 / (1 + Math.Exp(2 - 1.5 * features[PropensityFeatures.CartAdds24h]));
            return new LabeledExample(new DecisionPoint($"u{i % 50}", $"e{i}", 1_767_225_600_000L + i * 1_000L, DecisionPointSettings.CartAdd, features),
                purchased, 1_767_227_400_000L + i * 1_000L);
        })];
    }

    private (object Copy, string Manifest, byte[] Bytes) RoundTrip(object message)
    {
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerFor(message);
        Assert.IsType<LearnerSerializer>(serializer);
        var manifest = serializer.Manifest(message);
        var bytes = serializer.ToBinary(message);
        return (_system.Serialization.Deserialize(bytes, serializer.Identifier, manifest), manifest, bytes);
    }

    private object ReadFormer(object message, string manifest) =>
        ((SerializerWithStringManifest)_system.Serialization.FindSerializerFor(message)).FromBinary(JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), FormerJson), manifest);

    private static string Json(object message) => JsonSerializer.Serialize(message, message.GetType(), FormerJson);

    [Fact]
    public void Labels_delivered_and_learned_round_trip_in_the_binary_layout_and_the_json_one_still_reads()
    {
        var labels = Labels(300);
        var resolved = new LabelsResolved([.. labels]);
        var (resolvedCopy, resolvedManifest, _) = RoundTrip(resolved);
        Assert.Equal("LR2", resolvedManifest);
        Assert.Equal(Json(resolved), Json(resolvedCopy));

        var learned = new LabelsLearned([.. labels.Select(LearnedLabel.Of)]);
        var (learnedCopy, learnedManifest, bytes) = RoundTrip(learned);
        Assert.Equal("LL2", learnedManifest);
        Assert.Equal(Json(learned), Json(learnedCopy));
        Assert.True(bytes.Length * 2 < Json(learned).Length, $"{bytes.Length:N0} bytes in binary against {Json(learned).Length:N0} as JSON");

        Assert.Equal(Json(learned), Json(ReadFormer(learned, "LL1")));
        Assert.Equal(Json(resolved), Json(ReadFormer(resolved, "LR1")));
    }

    [Fact]
    public void A_learner_snapshot_round_trips_whole_in_the_binary_layout_and_the_json_one_still_reads()
    {
        var settings = new LearnerSettings { MiniBatch = 200, ColdStartLabels = 200, ShadowExamples = 150, TrainingWindow = 1_000, MetricsWindow = 500 };
        var learner = new OnlineLearner(settings, RuleBasedPropensityModel.Instance);
        var promoted = ImmutableArray.CreateBuilder<ModelVersion>();
        foreach (var label in Labels(1_300))
        {
            foreach (var decided in learner.Observe(label))
            {
                if (decided is ModelPromoted p)
                    promoted.Add(p.Version);
            }
        }
        var state = learner.State;
        Assert.True(promoted.Count > 0 && state.WarmStart is not null && state.WindowFeatures.Length == 1_000 && state.Metrics.RecentScores.Length > 0,
            "the learner has promoted a version, fitted, and filled its window and metrics");
        var snapshot = new LearnerSnapshot(promoted.ToImmutable(), [new ModelRejection(9, 0.5, 0.7, "online-v1", "worse", 10)],
            [new ModelRollback(1, "online-v2", 1_200, DateTimeOffset.UnixEpoch)], state, [.. Enumerable.Range(0, 1_000).Select(i => ulong.MaxValue - (ulong)i)],
            [.. Enumerable.Range(0, 1_000).Select(i => i % 7 == 0)]);

        var (copy, manifest, bytes) = RoundTrip(snapshot);
        Assert.Equal("LN2", manifest);
        Assert.Equal(Json(snapshot), Json(copy));
        Assert.True(bytes.Length * 2 < Json(snapshot).Length, $"{bytes.Length:N0} bytes in binary against {Json(snapshot).Length:N0} as JSON");

        var restored = OnlineLearner.From(settings, RuleBasedPropensityModel.Instance, ((LearnerSnapshot)copy).Learner);
        // The warm start is ML.NET's saved model, a zip stamped with the time of saving: the same parameters, not the same bytes.
        Assert.Equal(Json(state with { WarmStart = null }), Json(restored.State with { WarmStart = null }));
        Assert.Equal(new PropensityTrainer().Load(state.WarmStart!).Weights.ToArray(), new PropensityTrainer().Load(restored.State.WarmStart!).Weights.ToArray());
        Assert.Equal(Json(snapshot), Json(ReadFormer(snapshot, "LN1")));
    }
}
