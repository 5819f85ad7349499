using System.Collections.Immutable;

namespace ProfilePipeline.Domain.Events;

/// <summary>
/// A cleaned, pseudonymised and enriched behaviour event: what the user entity persists and folds.
/// Timestamps are Unix epoch milliseconds (UTC), prices are in the shop's currency.
/// </summary>
public sealed record BehaviorEvent(
    string EventId,
    string UserId,
    BehaviorType Type,
    long Timestamp,
    string? ItemId,
    string? CategoryId,
    string? Brand,
    decimal? Price,
    int Quantity,
    string? Query,
    string? SessionId,
    string? Device,
    ImmutableSortedDictionary<string, string> Attributes,
    SourcePosition Position)
{
    public decimal Amount => (Price ?? 0m) * Quantity;

    public static readonly ImmutableSortedDictionary<string, string> NoAttributes =
        ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public bool Equals(BehaviorEvent? other) =>
        other is not null
        && EventId == other.EventId && UserId == other.UserId && Type == other.Type && Timestamp == other.Timestamp
        && ItemId == other.ItemId && CategoryId == other.CategoryId && Brand == other.Brand && Price == other.Price
        && Quantity == other.Quantity && Query == other.Query && SessionId == other.SessionId && Device == other.Device
        && Position == other.Position && Attributes.SequenceEqual(other.Attributes);

    public override int GetHashCode() => HashCode.Combine(EventId, UserId, Timestamp, Position);
}
