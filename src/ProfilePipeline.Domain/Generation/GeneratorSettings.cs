namespace ProfilePipeline.Domain.Generation;

/// <summary>Size and shape of a synthetic behaviour stream. The same settings always give the same stream.</summary>
public sealed record GeneratorSettings
{
    public long Events { get; init; } = 200_000;
    public int Users { get; init; } = 20_000;
    public ulong Seed { get; init; } = 42;
    public double MalformedShare { get; init; } = 0.005;
    public double DuplicateShare { get; init; } = 0.01;
    public double UnknownItemShare { get; init; } = 0.01;
    public int Categories { get; init; } = 40;
    public int ItemsPerCategory { get; init; } = 200;
    public int BrandsPerCategory { get; init; } = 6;
    public TimeSpan Horizon { get; init; } = TimeSpan.FromDays(30);
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A concept shift at this fraction of the horizon (null: none): from then on the engaged shoppers' carts stop
    /// converting and the casual shoppers' carts convert instead (a purchase follows a cart with the probability that
    /// intent gave before, but of one minus intent): what predicted a purchase now predicts its absence. A learner must notice.
    /// </summary>
    public double? ConceptShiftAt { get; init; }

    /// <summary>Identifies the stream for dedup and checkpoints: a different stream must have a different id.</summary>
    public string SourceId => $"generator:seed={Seed}:events={Events}:users={Users}:malformed={MalformedShare}:dup={DuplicateShare}"
                              + (ConceptShiftAt is { } shift ? $":shift={shift}" : "");

    public GeneratorSettings Validate()
    {
        if (Events < 1 || Users < 1)
            throw new ArgumentException("generator: events and users must be positive");
        if (MalformedShare is < 0 or > 0.5 || DuplicateShare is < 0 or > 0.5 || UnknownItemShare is < 0 or > 1)
            throw new ArgumentException("generator: malformed and duplicate shares must be between 0 and 0.5");
        if (ConceptShiftAt is < 0 or > 1)
            throw new ArgumentException("generator: the concept shift is a fraction of the horizon, from 0 to 1");
        if (Categories < 1 || ItemsPerCategory < 1 || BrandsPerCategory < 1)
            throw new ArgumentException("generator: catalogue sizes must be positive");
        return this;
    }
}

/// <summary>One generated input line, and whether the generator made it malformed (tests use this as ground truth).</summary>
public sealed record GeneratedRecord(long Offset, string Line, string? MalformedAs);
