using Akka.Configuration;
using ProfilePipeline.Node.Segments;

namespace ProfilePipeline.Node;

/// <summary>Binds <c>profile-pipeline.segments</c>; null when <c>enabled = off</c>.</summary>
public static class SegmentationConfig
{
    public static SegmentationSettings? From(Config config)
    {
        var s = config.GetConfig("profile-pipeline.segments");
        if (s is null || !s.GetBoolean("enabled", false))
            return null;
        var settings = new SegmentationSettings(s.GetInt("clusters"), s.GetDouble("sample-rate"), s.GetInt("sample-users"), s.GetInt("min-samples"),
            s.GetInt("retrain-every"));
        if (settings.Clusters < 2 || settings.SampleRate is <= 0 or > 1 || settings.SampleUsers < settings.Clusters || settings.MinSamples < settings.Clusters
            || settings.RetrainEvery < 1)
            throw new ConfigurationException("profile-pipeline.segments: clusters >= 2, 0 < sample-rate <= 1, and sample-users and min-samples at least clusters");
        return settings;
    }
}
