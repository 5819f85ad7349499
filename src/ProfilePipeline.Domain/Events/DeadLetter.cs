namespace ProfilePipeline.Domain.Events;

/// <summary>A record the pipeline refused, with the reason and the original payload.</summary>
public sealed record DeadLetter(SourcePosition Position, string Reason, string Detail, string Payload)
{
    /// <summary>The pseudonymous user id, when the record had one: erasing that user removes the dead letter too.</summary>
    public string? UserId { get; init; }
}

/// <summary>The reasons a record is dead-lettered. Stable strings: dashboards and the dead-letter topic key on them.</summary>
public static class DeadLetterReasons
{
    public const string Unreadable = "unreadable";
    public const string MissingField = "missing_field";
    public const string UnknownType = "unknown_type";
    public const string BadTimestamp = "bad_timestamp";
    public const string FutureTimestamp = "future_timestamp";
    public const string BadNumber = "bad_number";
    public const string TooLarge = "too_large";
    public const string Late = "late";
}
