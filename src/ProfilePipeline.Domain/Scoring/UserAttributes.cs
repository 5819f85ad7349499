namespace ProfilePipeline.Domain.Scoring;

/// <summary>Side data about a user (design.md §3), joined at the enrich stage; not persisted with events.</summary>
public sealed record UserAttributes(string? AgeBand, string? Gender, string? Region, long? RegisteredAt);
