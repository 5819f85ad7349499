using Microsoft.ML;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Learning.Tests;

public sealed class OnlineLearnerSpecs
{
    private static readonly float[] Before = Synthetic.Weights((PropensityFeatures.CartAdds24h, 2.5f), (PropensityFeatures.Views24h, 1f));
    private static readonly float[] After = Synthetic.Weights((PropensityFeatures.Favorites24h, 2.5f), (PropensityFeatures.CartAdds24h, -1.5f));
    private static readonly LearnerSettings Fast = new() { MiniBatch = 200, TrainingWindow = 1_000, ColdStartLabels = 300, ShadowExamples = 300 };

    private static double AucOn(IPropensityModel model, IEnumerable<LabeledExample> examples) =>
        Auc.Exact(examples.Select(e => (model.ScoreVector(e.Point.Features), e.Purchased)));

    [Fact]
    public void The_learner_replaces_the_cold_start_model_and_after_a_shift_warm_starts_to_the_new_distribution()
    {
        var stream = new Synthetic(7);
        var learner = new OnlineLearner(Fast, RuleBasedPropensityModel.Instance);
        var promoted = new List<ModelVersion>();
        for (var i = 0; i < 3_000; i++)
            promoted.AddRange(learner.Observe(stream.Next(Before, -2.5f)).OfType<ModelPromoted>().Select(p => p.Version));
        Assert.NotEmpty(promoted);
        var holdoutBefore = Enumerable.Range(0, 2_000).Select(_ => stream.Next(Before, -2.5f)).ToList();
        Assert.True(AucOn(learner.Current, holdoutBefore) > AucOn(RuleBasedPropensityModel.Instance, holdoutBefore) + 0.02,
            "the learned model beats the rules on its own distribution");

        var shifted = new Synthetic(99);
        var holdoutAfter = Enumerable.Range(0, 2_000).Select(_ => shifted.Next(After, -2f)).ToList();
        var stale = learner.Current;
        var staleAuc = AucOn(stale, holdoutAfter);
        for (var i = 0; i < 4_000; i++)
            learner.Observe(stream.Next(After, -2f));
        var adaptedAuc = AucOn(learner.Current, holdoutAfter);

        Assert.NotSame(stale, learner.Current);
        Assert.True(adaptedAuc > staleAuc + 0.1, $"after the shift: stale model AUC {staleAuc:F3}, adapted {adaptedAuc:F3}");
    }

    [Fact]
    public void A_learner_restored_from_its_state_trains_exactly_as_the_one_it_was_taken_from_warm_start_included()
    {
        var stream = new Synthetic(5);
        var original = new OnlineLearner(Fast, RuleBasedPropensityModel.Instance);
        for (var i = 0; i < 1_500; i++)
            original.Observe(stream.Next(Before, -2.5f));
        var state = original.State;
        Assert.NotNull(state.WarmStart);

        var restored = OnlineLearner.From(Fast, RuleBasedPropensityModel.Instance, state);
        var coldRestored = OnlineLearner.From(Fast, RuleBasedPropensityModel.Instance, state with { WarmStart = null });
        for (var i = 0; i < 1_000; i++)
        {
            var example = stream.Next(After, -2f);
            foreach (var learner in new[] { original, restored, coldRestored })
                learner.Observe(example);
        }

        Assert.True(original.CurrentVersion!.Number > state.Serving!.Number, "versions were trained and promoted after the state was taken");
        Assert.Equal(original.CurrentVersion.Weights, restored.CurrentVersion!.Weights);
        Assert.Equal(original.Metrics.Snapshot().LogLoss, restored.Metrics.Snapshot().LogLoss);
        // Without the warm start the first fit after the restore starts from zero and ends elsewhere.
        Assert.NotEqual(original.Metrics.Snapshot().LogLoss, coldRestored.Metrics.Snapshot().LogLoss);
    }

    [Fact]
    public void A_candidate_that_evaluates_worse_than_the_serving_version_by_more_than_the_margin_is_not_promoted()
    {
        var stream = new Synthetic(11);
        var good = new OnlineLearner(Fast, RuleBasedPropensityModel.Instance);
        for (var i = 0; i < 3_000; i++)
            good.Observe(stream.Next(Before, -2.5f));
        var serving = Assert.IsType<ModelVersion>(good.CurrentVersion);

        // A learner serving the good version is trained on labels that carry no signal (a broken labelling job, say),
        // then shadowed on the real distribution: its candidate must lose and be rejected with the reason.
        var learner = new OnlineLearner(Fast with { ColdStartLabels = 200, MiniBatch = 200 }, RuleBasedPropensityModel.Instance, serving, serving.Number);
        var noise = new Random(3);
        for (var i = 0; i < 200; i++) // exactly the labels that trigger the first training
            learner.Observe(stream.Next(Before, -2.5f, forceLabel: noise.NextDouble() < 0.3));
        var decided = new List<LearnerEvent>();
        for (var i = 0; i < 400 && decided.Count == 0; i++)
            decided.AddRange(learner.Observe(stream.Next(Before, -2.5f)));

        var rejection = Assert.IsType<CandidateRejected>(Assert.Single(decided)).Rejection;
        Assert.Contains("below", rejection.Reason);
        Assert.Equal(serving.Name, rejection.Predecessor);
        Assert.Same(serving, learner.CurrentVersion);
    }

    [Fact]
    public void The_linear_model_scores_exactly_as_mlnet_and_its_explanation_adds_up_to_the_logit()
    {
        var stream = new Synthetic(5);
        var learner = new OnlineLearner(Fast, RuleBasedPropensityModel.Instance);
        for (var i = 0; i < 2_000; i++)
            learner.Observe(stream.Next(Before, -2.5f));
        var version = Assert.IsType<ModelVersion>(learner.CurrentVersion);
        var model = version.ToModel();
        var examples = Enumerable.Range(0, 50).Select(_ => stream.Next(Before, -2.5f).Point.Features).ToList();

        // ML.NET's own prediction from the same data: our logistic function over its weights must give its probability.
        var ml = new MLContext(1);
        var transformer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression().Fit(
            PropensityTrainer.Load(ml, [.. examples.Select((x, i) => new TrainingRow { Features = model.Standardization.Standardize(x), Label = i % 3 == 0 })]));
        var engine = ml.Model.CreatePredictionEngine<TrainingRow, Prediction>(transformer, inputSchemaDefinition: PropensityTrainer.Schema());
        var mirror = new LinearPropensityModel("mirror", transformer.Model.SubModel.Weights.ToArray(), transformer.Model.SubModel.Bias, model.Standardization);
        foreach (var x in examples)
            Assert.Equal(engine.Predict(new TrainingRow { Features = model.Standardization.Standardize(x) }).Probability, mirror.ScoreVector(x), 4);

        foreach (var x in examples)
        {
            var explanation = model.Explain(x);
            Assert.Equal(PropensityFeatures.Count, explanation.Count);
            Assert.Equal(model.Logit(x), model.Bias + explanation.Sum(c => c.Contribution), 9);
            Assert.Equal(model.ScoreVector(x), LinearPropensityModel.Sigmoid(model.Bias + explanation.Sum(c => c.Contribution)), 9);
        }
    }

    private sealed class Prediction
    {
        public float Probability { get; set; }
    }
}
