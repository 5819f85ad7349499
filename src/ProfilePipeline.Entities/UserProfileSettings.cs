using Akka.Configuration;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities;

/// <summary>Entity settings, bound from <c>profile-pipeline.profile</c> in HOCON.</summary>
public sealed record UserProfileSettings(ProfileSettings Profile, int SnapshotEvery, int NumberOfShards)
{
    /// <summary>Which applied events are decision points for the online learner (null: learning is off).</summary>
    public DecisionPointSettings? DecisionPoints { get; init; }

    /// <summary>The decision rules, by which the entity checks the frequency caps of the rules it is asked to fire.</summary>
    public RuleBook Rules { get; init; } = RuleBook.None;

    /// <summary><c>profile-pipeline.learning</c>'s decision points, or null when the section is absent or learning is off.</summary>
    public static DecisionPointSettings? DecisionPointsFrom(Config config, TimeSpan? horizon = null)
    {
        var c = config.GetConfig("profile-pipeline.learning");
        if (c is null || c.IsEmpty || !c.GetBoolean("enabled"))
            return null;
        TimeSpan Duration(string key)
        {
            try
            {
                return c.GetTimeSpan(key);
            }
            catch (FormatException e)
            {
                throw new ConfigurationException($"profile-pipeline.learning.{key}: {e.Message} (a duration such as 0s, 5m or 2h)");
            }
        }
        try
        {
            return new DecisionPointSettings(
                c.GetBoolean("decision-points.cart-add"), c.GetBoolean("decision-points.session-start"), c.GetDouble("decision-points.view-sample-rate"),
                horizon ?? Duration("horizon"), Duration("label-lateness"))
            {
                MinGap = Duration("decision-points.min-gap"),
            }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException("profile-pipeline.learning: " + e.Message);
        }
    }

    public static UserProfileSettings FromConfig(Config config)
    {
        var c = config.GetConfig("profile-pipeline.profile")
                ?? throw new ConfigurationException("missing section profile-pipeline.profile");
        var weights = c.GetDoubleList("affinity-weights");
        var profile = new ProfileSettings
        {
            AffinityHalfLife = c.GetTimeSpan("affinity-half-life"),
            AffinityCapacity = c.GetInt("affinity-capacity"),
            TopK = c.GetInt("top-k"),
            SessionGap = c.GetTimeSpan("session-gap"),
            AllowedLateness = c.GetTimeSpan("allowed-lateness"),
            RecentEventIds = c.GetInt("recent-event-ids"),
            DistinctCapacity = c.GetInt("distinct-capacity"),
            SourceCapacity = c.GetInt("source-capacity"),
            AffinityWeights = [.. weights],
        };
        try
        {
            profile.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException(e.Message);
        }
        var snapshotEvery = c.GetInt("snapshot-every");
        var shards = c.GetInt("number-of-shards");
        if (snapshotEvery < 1 || shards < 1)
            throw new ConfigurationException("profile-pipeline.profile: snapshot-every and number-of-shards must be positive");
        return new UserProfileSettings(profile, snapshotEvery, shards) { DecisionPoints = DecisionPointsFrom(config) };
    }
}
