using Akka.Configuration;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Learning;

namespace ProfilePipeline.Node;

/// <summary>The learning settings (<c>profile-pipeline.learning</c>), bound with clear errors.</summary>
public sealed record LearningConfig(bool Enabled, DecisionPointSettings DecisionPoints, LearnerSettings Learner, int MaxOpenDecisionPoints)
{
    /// <summary>The longest followed labels and points wait for a write when no checkpoint or commit asks for one.</summary>
    public TimeSpan LabelWriteAfter { get; init; } = TimeSpan.FromSeconds(1);

    public static LearningConfig From(Config config, TimeSpan? horizon = null)
    {
        var c = config.GetConfig("profile-pipeline.learning") ?? throw new ConfigurationException("missing section profile-pipeline.learning");
        try
        {
            var points = Entities.UserProfileSettings.DecisionPointsFrom(config.WithFallback(
                ConfigurationFactory.ParseString("profile-pipeline.learning.enabled = on")), horizon)!;
            var learner = new LearnerSettings
            {
                MiniBatch = c.GetInt("mini-batch"),
                TrainingWindow = c.GetInt("training-window"),
                ColdStartLabels = c.GetInt("cold-start-labels"),
                ShadowExamples = c.GetInt("shadow-examples"),
                PromotionMargin = c.GetDouble("promotion-margin"),
                Threshold = c.GetDouble("threshold"),
                MetricsWindow = c.GetInt("metrics-window"),
                L2Regularization = (float)c.GetDouble("l2-regularization"),
                SnapshotEvery = c.GetInt("snapshot-every"),
                RememberedLabels = c.GetInt("remembered-labels"),
            }.Validate();
            var maxOpen = c.GetInt("max-open-decision-points");
            if (maxOpen < 1)
                throw new ArgumentException("max-open-decision-points must be positive");
            var writeAfter = c.GetTimeSpan("label-write-after");
            if (writeAfter <= TimeSpan.Zero)
                throw new ArgumentException("label-write-after must be positive");
            return new LearningConfig(c.GetBoolean("enabled"), points, learner, maxOpen) { LabelWriteAfter = writeAfter };
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException("profile-pipeline.learning: " + e.Message);
        }
    }

    /// <summary>A duration as HOCON writes it: 90s, 30m, 2h, 7d.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        try
        {
            var value = ConfigurationFactory.ParseString($"d = {text}").GetTimeSpan("d");
            return value > TimeSpan.Zero ? value : throw new FormatException();
        }
        catch (Exception e) when (e is not FormatException)
        {
            throw new FormatException($"'{text}' is not a duration such as 30m, 2h or 7d");
        }
        catch (FormatException)
        {
            throw new FormatException($"'{text}' is not a positive duration such as 30m, 2h or 7d");
        }
    }
}
