namespace ProfilePipeline.Node;

/// <summary>What `run` was asked to do.</summary>
public sealed record RunOptions
{
    public string DataDirectory { get; init; } = "data";
    public string? Input { get; init; }
    public string Format { get; init; } = "jsonl";
    public string? Map { get; init; }
    public long Events { get; init; } = 100_000;
    public int Users { get; init; } = 10_000;
    public ulong Seed { get; init; } = 42;
    public double MalformedShare { get; init; } = 0.005;
    public double DuplicateShare { get; init; } = 0.01;

    /// <summary>Generator: records per second (0 = as fast as the pipeline takes them).</summary>
    public int Rate { get; init; }

    public string? Catalogue { get; init; }
    public string? UserAttributes { get; init; }
    public string? ConfigFile { get; init; }
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Kafka bootstrap servers to consume from and publish to, or "embedded" for the in-process mock cluster.</summary>
    public string? Kafka { get; init; }

    /// <summary>With Kafka: keep consuming after the input is exhausted (the default for an external broker).</summary>
    public bool Follow { get; init; }

    public const string EmbeddedKafka = "embedded";
}

/// <summary>What a run did, printed at the end and returned to tests.</summary>
public sealed record RunSummary(
    string SourceId,
    long Read,
    long Applied,
    long Duplicates,
    long Redelivered,
    long DeadLetters,
    IReadOnlyDictionary<string, long> DeadLettersByReason,
    long ProfilesWritten,
    long UnknownItems,
    long Users,
    TimeSpan Elapsed,
    TimeSpan LatencyP50,
    TimeSpan LatencyP99,
    bool Drained)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Read / Elapsed.TotalSeconds : 0;
}
