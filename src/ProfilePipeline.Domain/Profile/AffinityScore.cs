namespace ProfilePipeline.Domain.Profile;

/// <summary>A category's or brand's time-decayed affinity as of the profile's asOf time.</summary>
public sealed record AffinityScore(string Key, double Score);
