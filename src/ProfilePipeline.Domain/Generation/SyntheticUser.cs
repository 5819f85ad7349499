namespace ProfilePipeline.Domain.Generation;

/// <summary>A generated user's latent traits: what makes its behaviour, and so its purchase propensity, learnable.</summary>
internal sealed class SyntheticUser
{
    public required string Id { get; init; }
    public required int[] PreferredCategories { get; init; }
    public required double[] PreferenceWeights { get; init; }

    /// <summary>Latent purchase intent in [0, 1]: drives cart adds and purchases.</summary>
    public required double Intent { get; init; }

    /// <summary>Relative session rate (heavy-tailed across users).</summary>
    public required double Activity { get; init; }

    /// <summary>Event time after which the user never comes back (long.MaxValue for users who stay).</summary>
    public required long ChurnAt { get; init; }

    public required long RegisteredAt { get; init; }
    public required string Device { get; init; }
    public required bool SharesEmail { get; init; }

    public Queue<PlannedEvent> Session { get; } = new();
    public int SessionNumber { get; set; }
}

internal readonly record struct PlannedEvent(string Type, string? ItemId, string? CategoryId, decimal? Price, int Quantity, string? Query);
