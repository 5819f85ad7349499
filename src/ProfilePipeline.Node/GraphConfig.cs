using Akka.Actor;
using Akka.Configuration;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>Binds the graph's and the clean stage's settings from <c>profile-pipeline</c> HOCON, with clear errors.</summary>
public static class GraphConfig
{
    /// <summary>The graph's parts for a node: the one place they are put together (run and bench both use it).</summary>
    public static ProfileGraphParts Parts(Config config, Pseudonymizer pseudonymizer, SideData sideData, ClusterNode node, PipelineMetrics metrics)
    {
        var idle = IdlePartitionAfter(config);
        return new ProfileGraphParts(
            new BehaviorCleaner(pseudonymizer, Cleaner(config), () => DateTimeOffset.UtcNow),
            sideData,
            node.Profiles,
            new ProfileScorer(Scoring(config)),
            node.Models,
            metrics)
        {
            Labels = node.Learner is { } learner && node.Settings.DecisionPoints is { } points && node.DecisionPointIndex is { } pointIndex
                ? Labelling(LearningConfig.From(config), points, new Learning.LearnerLabelSink(learner, AskPolicy.Default, metrics.RecordStageAskRetried),
                    pointIndex, idle)
                : null,
            Decisions = DecisionConfig.From(config) is { } decisions ? decisions with { IdlePartitionAfter = idle } : null,
            TimerIndex = node.TimerIndex,
            Segments = node.Segmentation is { } segmentation && SegmentationConfig.From(config) is { } segments
                ? new SegmentScoring(node.Segments, new Segments.SegmentSampleSink(segmentation), segments.SampleRate, 200)
                : null,
        };
    }

    private static LabelSettings Labelling(LearningConfig learning, Domain.Learning.DecisionPointSettings points, ILabelSink learner, IActorRef pointIndex,
        TimeSpan idlePartitionAfter) =>
        new(points, learning.MaxOpenDecisionPoints, learner, pointIndex)
        {
            IdlePartitionAfter = idlePartitionAfter,
            WriteAfter = learning.LabelWriteAfter,
        };

    /// <summary>How long a partition may go without a record before it stops holding the stream's event-time watermark back.</summary>
    public static TimeSpan IdlePartitionAfter(Config config)
    {
        var idle = config.GetTimeSpan("profile-pipeline.graph.idle-partition-after", PartitionWatermarks.DefaultIdleAfter);
        return idle > TimeSpan.Zero ? idle : throw new ConfigurationException("profile-pipeline.graph.idle-partition-after must be positive");
    }

    public static ProfileGraphSettings Graph(Config config)
    {
        var g = config.GetConfig("profile-pipeline.graph") ?? throw new ConfigurationException("missing section profile-pipeline.graph");
        var settings = new ProfileGraphSettings(
            config.GetInt("profile-pipeline.clean.recent-event-ids"),
            new ProfileUpdateSettings(
                g.GetInt("update-batch"), g.GetTimeSpan("update-batch-delay"), g.GetInt("update-parallelism"), g.GetTimeSpan("ask-timeout"),
                g.GetInt("ask-attempts", 1)),
            g.GetInt("score-batch"),
            g.GetInt("output-batch"),
            g.GetTimeSpan("output-interval"))
        {
            CheckpointInterval = g.GetTimeSpan("checkpoint-interval"),
        };
        if (settings.Update.MaxBatch < 1 || settings.Update.Parallelism < 1 || settings.ScoreBatch < 1 || settings.OutputBatch < 1 || settings.Update.AskAttempts < 1)
            throw new ConfigurationException("profile-pipeline.graph: batch sizes and parallelism must be positive");
        if (settings.CheckpointInterval < TimeSpan.Zero)
            throw new ConfigurationException("profile-pipeline.graph: checkpoint-interval must not be negative");
        return settings;
    }

    public static ScoringSettings Scoring(Config config)
    {
        var c = config.GetConfig("profile-pipeline.scoring") ?? throw new ConfigurationException("missing section profile-pipeline.scoring");
        var settings = new ScoringSettings
        {
            HighFrequencyPurchases30d = c.GetInt("high-frequency-purchases-30d"),
            BigSpender30d = c.GetDecimal("big-spender-30d"),
            BargainMaxAverageOrder = c.GetDecimal("bargain-max-average-order"),
            BargainMinPurchases = c.GetInt("bargain-min-purchases"),
            EnthusiastTopShare = c.GetDouble("enthusiast-top-share"),
            EnthusiastMinEvents = c.GetInt("enthusiast-min-events"),
            CartAbandonAfter = c.GetTimeSpan("cart-abandon-after"),
            WindowShopperViews30d = c.GetInt("window-shopper-views-30d"),
            NewUserPeriod = c.GetTimeSpan("new-user-period"),
            NewUserMaxEvents = c.GetInt("new-user-max-events"),
            DormancyGap = c.GetTimeSpan("dormancy-gap"),
            RecencyDays = [.. c.GetDoubleList("rfm-recency-days")],
            FrequencyPurchases = [.. c.GetLongList("rfm-frequency-purchases")],
            MonetarySpend = [.. c.GetDoubleList("rfm-monetary-spend").Select(v => (decimal)v)],
        };
        if (settings.RecencyDays.Length != 4 || settings.FrequencyPurchases.Length != 4 || settings.MonetarySpend.Length != 4)
            throw new ConfigurationException("profile-pipeline.scoring: each rfm-* list needs 4 ascending bounds");
        return settings;
    }

    public static CleanerSettings Cleaner(Config config)
    {
        var c = config.GetConfig("profile-pipeline.clean") ?? throw new ConfigurationException("missing section profile-pipeline.clean");
        return CleanerSettings.Default with
        {
            MaxFutureSkew = c.GetTimeSpan("max-future-skew"),
            MaxPayloadBytes = c.GetInt("max-payload-bytes"),
        };
    }
}
