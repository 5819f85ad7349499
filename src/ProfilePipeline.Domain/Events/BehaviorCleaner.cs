using System.Collections.Immutable;
using System.Globalization;
using ProfilePipeline.Domain.Privacy;

namespace ProfilePipeline.Domain.Events;

/// <summary>The verdict of the clean stage on one record: an event, or a dead letter with its reason.</summary>
public readonly record struct CleanResult(BehaviorEvent? Event, DeadLetter? DeadLetter)
{
    public bool IsAccepted => Event is not null;
}

public sealed record CleanerSettings(TimeSpan MaxFutureSkew, int MaxPayloadBytes, long EarliestTimestamp)
{
    public static readonly CleanerSettings Default = new(
        TimeSpan.FromDays(1), 64 * 1024, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());
}

/// <summary>
/// Validates, types and pseudonymises raw records. Pure apart from the clock, which only bounds
/// how far in the future a timestamp may lie. Events without an id get a deterministic one, so replays dedupe.
/// </summary>
public sealed class BehaviorCleaner(Pseudonymizer pseudonymizer, CleanerSettings settings, Func<DateTimeOffset> clock)
{
    public CleanResult Clean(RawBehavior raw)
    {
        if (raw.Payload.Length > settings.MaxPayloadBytes)
            // The payload is cut to the limit: a dead letter must itself fit where dead letters go.
            return new CleanResult(null, new DeadLetter(raw.Position, DeadLetterReasons.TooLarge,
                $"{raw.ReadError ?? $"payload of {raw.Payload.Length} chars"} exceeds {settings.MaxPayloadBytes}",
                raw.Payload[..settings.MaxPayloadBytes] + "…(truncated)"));
        if (raw.ReadError is not null)
            return Reject(raw, DeadLetterReasons.Unreadable, raw.ReadError);

        var userId = raw[CanonicalFields.UserId]?.Trim();
        if (string.IsNullOrEmpty(userId))
            return Reject(raw, DeadLetterReasons.MissingField, "userId is missing");
        var typeText = raw[CanonicalFields.Type];
        if (typeText is null)
            return Reject(raw, DeadLetterReasons.MissingField, "type is missing");
        if (!BehaviorTypes.TryParse(typeText, out var type))
            return Reject(raw, DeadLetterReasons.UnknownType, $"unknown event type '{Truncate(typeText)}'");
        var timestampText = raw[CanonicalFields.Timestamp];
        if (timestampText is null)
            return Reject(raw, DeadLetterReasons.MissingField, "timestamp is missing");
        if (!TimestampParser.TryParse(timestampText, out var timestamp) || timestamp < settings.EarliestTimestamp)
            return Reject(raw, DeadLetterReasons.BadTimestamp, $"unparseable or implausible timestamp '{Truncate(timestampText)}'");
        var latest = clock().Add(settings.MaxFutureSkew).ToUnixTimeMilliseconds();
        if (timestamp > latest)
            return Reject(raw, DeadLetterReasons.FutureTimestamp,
                $"timestamp {DateTimeOffset.FromUnixTimeMilliseconds(timestamp):O} is more than {settings.MaxFutureSkew} ahead of the clock");

        decimal? price = null;
        if (raw[CanonicalFields.Price] is { } priceText)
        {
            if (!decimal.TryParse(priceText, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p < 0 || p > 10_000_000m)
                return Reject(raw, DeadLetterReasons.BadNumber, $"price '{Truncate(priceText)}' is not a non-negative number");
            price = decimal.Round(p, 4);
        }
        var quantity = 1;
        if (raw[CanonicalFields.Quantity] is { } quantityText
            && (!int.TryParse(quantityText, NumberStyles.Integer, CultureInfo.InvariantCulture, out quantity) || quantity < 1 || quantity > 10_000))
            return Reject(raw, DeadLetterReasons.BadNumber, $"quantity '{Truncate(quantityText)}' is not a whole number from 1 to 10000");

        var itemId = Normalize(raw[CanonicalFields.ItemId]);
        var categoryId = Normalize(raw[CanonicalFields.CategoryId]);
        var eventId = Normalize(raw[CanonicalFields.EventId])
                      ?? EventIds.Derive(userId, type, timestamp, itemId, categoryId, price, quantity, raw[CanonicalFields.Query], raw[CanonicalFields.SessionId]);

        var behavior = new BehaviorEvent(
            eventId,
            pseudonymizer.Pseudonymize(userId),
            type,
            timestamp,
            itemId,
            categoryId,
            Normalize(raw[CanonicalFields.Brand])?.ToLowerInvariant(),
            price,
            quantity,
            Normalize(raw[CanonicalFields.Query]),
            Normalize(raw[CanonicalFields.SessionId]),
            Normalize(raw[CanonicalFields.Device]),
            CleanAttributes(raw),
            raw.Position);
        return new CleanResult(behavior, null);
    }

    private ImmutableSortedDictionary<string, string> CleanAttributes(RawBehavior raw)
    {
        var attributes = BehaviorEvent.NoAttributes;
        foreach (var (key, value) in raw.Fields)
        {
            if (!key.StartsWith(CanonicalFields.AttributePrefix, StringComparison.Ordinal) || value.Length == 0)
                continue;
            var name = key[CanonicalFields.AttributePrefix.Length..];
            attributes = attributes.SetItem(name,
                CanonicalFields.PersonalAttributes.Contains(name) ? pseudonymizer.Pseudonymize(value) : value);
        }
        return attributes;
    }

    private static string? Normalize(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private CleanResult Reject(RawBehavior raw, string reason, string detail) =>
        new(null, new DeadLetter(raw.Position, reason, detail, raw.Payload) { UserId = UserOf(raw) });

    private string? UserOf(RawBehavior raw) =>
        raw.ReadError is null && raw[CanonicalFields.UserId]?.Trim() is { Length: > 0 } userId ? pseudonymizer.Pseudonymize(userId) : null;
}
