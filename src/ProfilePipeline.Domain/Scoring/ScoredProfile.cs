using System.Collections.Immutable;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Scoring;

/// <summary>RFM scores (1 to 5 each) and the tier they put the user in.</summary>
public sealed record RfmScore(int Recency, int Frequency, int Monetary, string Tier);

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
}
