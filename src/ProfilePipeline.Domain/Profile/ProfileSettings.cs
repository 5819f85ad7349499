using System.Collections.Immutable;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Profile;

/// <summary>Tuning of the profile fold. Every limit here is what keeps a user's state bounded.</summary>
public sealed record ProfileSettings
{
    public TimeSpan AffinityHalfLife { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How many categories (and brands) are tracked exactly; past that the weakest is evicted.</summary>
    public int AffinityCapacity { get; init; } = 32;

    public int TopK { get; init; } = 5;

    public TimeSpan SessionGap { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>An event older than the user's latest event time minus this is late: dead-lettered, not folded.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many recent event ids each user remembers to recognise duplicates that arrive at a new offset.</summary>
    public int RecentEventIds { get; init; } = 64;

    /// <summary>Distinct items and categories are counted exactly up to this many, then held at it.</summary>
    public int DistinctCapacity { get; init; } = 256;

    public int SourceCapacity { get; init; } = 8;

    /// <summary>Affinity weight per behaviour type, indexed by <see cref="BehaviorType"/>.</summary>
    public ImmutableArray<double> AffinityWeights { get; init; } = [1.0, 1.0, 0.5, 3.0, 0.0, 2.0, 5.0];

    public static readonly ProfileSettings Default = new();

    public ProfileSettings Validate()
    {
        Require(AffinityHalfLife > TimeSpan.Zero, "affinity half-life must be positive");
        Require(AffinityCapacity >= TopK && TopK > 0, "affinity capacity must be at least top-k, and top-k positive");
        Require(SessionGap > TimeSpan.Zero, "session gap must be positive");
        Require(AllowedLateness >= TimeSpan.Zero, "allowed lateness must not be negative");
        Require(RecentEventIds > 0 && DistinctCapacity > 0 && SourceCapacity > 0, "capacities must be positive");
        Require(AffinityWeights.Length == BehaviorTypes.Count, $"affinity weights need {BehaviorTypes.Count} values");
        return this;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new ArgumentException("profile settings: " + message);
    }
}
