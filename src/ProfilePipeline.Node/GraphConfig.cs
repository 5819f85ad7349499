using Akka.Configuration;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>Binds the graph's and the clean stage's settings from <c>profile-pipeline</c> HOCON, with clear errors.</summary>
public static class GraphConfig
{
    public static ProfileGraphSettings Graph(Config config)
    {
        var g = config.GetConfig("profile-pipeline.graph") ?? throw new ConfigurationException("missing section profile-pipeline.graph");
        var settings = new ProfileGraphSettings(
            config.GetInt("profile-pipeline.clean.recent-event-ids"),
            new ProfileUpdateSettings(
                g.GetInt("update-batch"), g.GetTimeSpan("update-batch-delay"), g.GetInt("update-parallelism"), g.GetTimeSpan("ask-timeout")),
            g.GetInt("score-batch"),
            g.GetInt("output-batch"),
            g.GetTimeSpan("output-interval"));
        if (settings.Update.MaxBatch < 1 || settings.Update.Parallelism < 1 || settings.ScoreBatch < 1 || settings.OutputBatch < 1)
            throw new ConfigurationException("profile-pipeline.graph: batch sizes and parallelism must be positive");
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
