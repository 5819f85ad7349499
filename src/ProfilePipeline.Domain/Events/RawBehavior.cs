using System.Collections.Immutable;

namespace ProfilePipeline.Domain.Events;

/// <summary>
/// A record as an importer read it: canonical field names mapped to their raw text, not yet validated.
/// <see cref="ReadError"/> is set when the record could not even be split into fields (bad JSON, wrong column count).
/// </summary>
public sealed record RawBehavior(
    SourcePosition Position,
    string Payload,
    ImmutableDictionary<string, string> Fields,
    string? ReadError = null)
{
    public string? this[string field] => Fields.TryGetValue(field, out var v) && v.Length > 0 ? v : null;

    public static RawBehavior Unreadable(SourcePosition position, string payload, string error) =>
        new(position, payload, ImmutableDictionary<string, string>.Empty, error);
}

/// <summary>Canonical field names (design.md §3).</summary>
public static class CanonicalFields
{
    public const string EventId = "eventId";
    public const string UserId = "userId";
    public const string Type = "type";
    public const string Timestamp = "timestamp";
    public const string ItemId = "itemId";
    public const string CategoryId = "categoryId";
    public const string CategoryPath = "categoryPath";
    public const string Brand = "brand";
    public const string Price = "price";
    public const string Quantity = "quantity";
    public const string Query = "query";
    public const string SessionId = "sessionId";
    public const string Device = "device";
    public const string AttributePrefix = "attributes.";

    public static readonly ImmutableHashSet<string> All = ImmutableHashSet.Create(
        StringComparer.Ordinal, EventId, UserId, Type, Timestamp, ItemId, CategoryId, CategoryPath, Brand, Price,
        Quantity, Query, SessionId, Device);

    /// <summary>Attribute keys that carry personal data and are pseudonymised at the clean stage.</summary>
    public static readonly ImmutableHashSet<string> PersonalAttributes = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase, "email", "phone", "name", "firstName", "lastName", "address", "ip");
}
