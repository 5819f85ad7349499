namespace ProfilePipeline.Domain.Scoring;

/// <summary>Thresholds of the rule-based tags and RFM scores, bound from profile-pipeline.scoring (config/profilepipeline.conf).</summary>
public sealed record ScoringSettings
{
    public int HighFrequencyPurchases30d { get; init; } = 3;
    public decimal BigSpender30d { get; init; } = 500m;
    public decimal BargainMaxAverageOrder { get; init; } = 25m;
    public int BargainMinPurchases { get; init; } = 2;
    public double EnthusiastTopShare { get; init; } = 0.6;
    public int EnthusiastMinEvents { get; init; } = 10;
    public TimeSpan CartAbandonAfter { get; init; } = TimeSpan.FromMinutes(30);
    public int WindowShopperViews30d { get; init; } = 20;
    public TimeSpan NewUserPeriod { get; init; } = TimeSpan.FromDays(30);
    public int NewUserMaxEvents { get; init; } = 5;
    public TimeSpan DormancyGap { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Upper bounds of R score 5,4,3,2 in days since the last purchase.</summary>
    public double[] RecencyDays { get; init; } = [1, 7, 30, 90];

    /// <summary>Lower bounds of F score 2,3,4,5 in purchases over 30 days.</summary>
    public long[] FrequencyPurchases { get; init; } = [1, 2, 4, 8];

    /// <summary>Lower bounds of M score 2,3,4,5 in spend over 30 days.</summary>
    public decimal[] MonetarySpend { get; init; } = [10m, 50m, 200m, 1000m];

    public static readonly ScoringSettings Default = new();
}
