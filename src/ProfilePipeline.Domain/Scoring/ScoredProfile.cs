using System.Collections.Immutable;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Scoring;

/// <summary>RFM scores (1 to 5 each) and the tier they put the user in.</summary>
public sealed record RfmScore(int Recency, int Frequency, int Monetary, string Tier);

/// <summary>A user's segment: its stable id, its description, and the segmentation version that assigned it.</summary>
public sealed record SegmentAssignment(string Id, string Name, int Version);

/// <summary>What the pipeline publishes per profile update (docs/scored-profile.schema.json).</summary>
public sealed record ScoredProfile(
    ProfileFeatures Features,
    UserAttributes? Attributes,
    double Propensity,
    string ModelVersion,
    RfmScore Rfm,
    ImmutableSortedSet<string> Tags)
{
    public const int SchemaVersion = 1;

    /// <summary>
    /// The chance that the user, still active, would have come back by <see cref="EvaluatedAt"/> (<see cref="Decisions.ChurnRisk"/>);
    /// 0 on an update caused by the user's own event.
    /// </summary>
    public double ChurnRisk { get; init; }

    /// <summary>Set when the user was found inactive: event time (epoch ms) from which they count as quiet.</summary>
    public long? InactiveSince { get; init; }

    /// <summary>Event time the scores hold at: the newest event's on an update, the watermark's when the user was found inactive.</summary>
    public long EvaluatedAt
    {
        get => _evaluatedAt ?? Features.AsOf;
        init => _evaluatedAt = value;
    }

    private readonly long? _evaluatedAt;

    /// <summary>The user's segment under the serving segmentation; null until one is trained (or with segments off).</summary>
    public SegmentAssignment? Segment { get; init; }

    /// <summary>This profile as flagged inactive at watermark <paramref name="at"/>: the <c>inactive</c> tag, churn risk and quiet time.</summary>
    public ScoredProfile AsInactive(long quietSince, long at, double churnRisk) => this with
    {
        Tags = Tags.Add(ProfileTags.Inactive), ChurnRisk = churnRisk, InactiveSince = quietSince, EvaluatedAt = at,
    };
}
