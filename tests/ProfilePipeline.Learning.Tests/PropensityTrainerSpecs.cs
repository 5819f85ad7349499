using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Learning.Tests;

/// <summary>The trainer reads every fit through one data view: each fit sees exactly its own rows, as a fresh trainer would.</summary>
public sealed class PropensityTrainerSpecs
{
    private static List<TrainingRow> Rows(int seed, int count, float shift)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var features = Enumerable.Range(0, PropensityFeatures.Count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new TrainingRow { Features = features, Label = random.NextDouble() < 1 / (1 + Math.Exp(-(2 * features[0] + shift * features[3]))) };
        })];
    }

    [Fact]
    public void Successive_fits_on_one_trainer_equal_fresh_trainers_warm_started_from_the_same_parameters()
    {
        var (first, second, third) = (Rows(1, 800, 1), Rows(2, 300, -2), Rows(3, 1_200, 3));
        var reused = new PropensityTrainer();
        var a = reused.Fit(first, null);
        var b = reused.Fit(second, a);
        var c = reused.Fit(third, b);

        var b2 = new PropensityTrainer().Fit(second, new PropensityTrainer().Fit(first, null));
        var c2 = new PropensityTrainer().Fit(third, b2);
        Assert.Equal(b2.Weights.ToArray(), b.Weights.ToArray());
        Assert.Equal(c2.Weights.ToArray(), c.Weights.ToArray());
        Assert.Equal(c2.Bias, c.Bias);
        // The rows differ enough that a fit which saw an earlier fit's rows would differ too.
        Assert.NotEqual(new PropensityTrainer().Fit(first, b).Weights.ToArray(), c.Weights.ToArray());
    }
}
