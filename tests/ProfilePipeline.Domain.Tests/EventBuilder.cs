using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Tests;

/// <summary>Builds cleaned events for fold tests.</summary>
internal static class EventBuilder
{
    public static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static BehaviorEvent Event(long offset, BehaviorType type, long timestamp, string? category = "c1", string? brand = "b1",
        decimal? price = null, string? item = "i1", string? eventId = null, string source = "test") =>
        new(eventId ?? $"e{offset}", "user", type, timestamp, item, category, brand, price, 1, null, null, null,
            BehaviorEvent.NoAttributes, new SourcePosition(source, offset));
}
