using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ProfilePipeline.Domain.Generation;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// Expected final profiles computed straight from the generated records with plain LINQ: no production
/// parser, cleaner, fold or window code is used, so a bug there cannot hide in the expectation.
/// </summary>
public sealed class GroundTruth
{
    private const long Minute = 60_000, Hour = 3_600_000, Day = 86_400_000;
    private static readonly string[] Types = ["view", "click", "search", "cart_add", "cart_remove", "favorite", "purchase"];
    private static readonly double[] Weights = [1.0, 1.0, 0.5, 3.0, 0.0, 2.0, 5.0];

    public sealed record Event(string EventId, string User, string Type, long Time, string? Item, string? Category, string? Brand, decimal Amount);

    public sealed record Profile(
        string User, long Version, long AsOf, long FirstSeen, IReadOnlyDictionary<string, long> Lifetime, decimal Spend,
        IReadOnlyDictionary<string, (IReadOnlyDictionary<string, long> Counts, decimal Spend)> Windows,
        long DistinctItems, long DistinctCategories, long? LastPurchaseAt, long? LastCartAddAt, long Sessions,
        long Intervals, double MaxIntervalSeconds, Affinities Categories, Affinities Brands);

    /// <summary>
    /// Closed-form affinity of every key. The pipeline tracks at most <see cref="Capacity"/> keys per user and
    /// evicts the weakest beyond that, so only within capacity must it match exactly; past it, a key that was
    /// evicted and came back has lost part of its history and can only score lower.
    /// </summary>
    public sealed record Affinities(IReadOnlyDictionary<string, double> All)
    {
        public const int Capacity = 32;

        public bool WithinCapacity => All.Count <= Capacity;

        public IReadOnlyList<(string Key, double Score)> Top => All
            .Where(a => a.Value != 0)
            .OrderByDescending(a => a.Value).ThenBy(a => a.Key, StringComparer.Ordinal)
            .Take(5)
            .Select(a => (a.Key, a.Value))
            .ToList();
    }

    public GroundTruth(IEnumerable<GeneratedRecord> records, IReadOnlyList<CatalogueItem> catalogue, string pseudonymKey)
    {
        var items = catalogue.ToDictionary(i => i.ItemId);
        var key = Encoding.UTF8.GetBytes(pseudonymKey);
        var valid = records.Where(r => r.MalformedAs is null).Select(r => Parse(r.Line, items, key)).ToList();
        MalformedOffsets = records.Where(r => r.MalformedAs is not null).Select(r => r.Offset).ToHashSet();
        var unique = valid.GroupBy(e => e.EventId).Select(g => g.First()).ToList();
        Profiles = unique.GroupBy(e => e.User).ToDictionary(g => g.Key, g => Build(g.Key, g.ToList()));
        EventTimes = unique.GroupBy(e => e.User).ToDictionary(g => g.Key, g => g.Select(e => e.Time).Order().ToArray());
    }

    public IReadOnlyDictionary<string, Profile> Profiles { get; }

    /// <summary>Each user's event times (valid, first of each event id), ascending.</summary>
    public IReadOnlyDictionary<string, long[]> EventTimes { get; }

    public IReadOnlySet<long> MalformedOffsets { get; }

    private static Event Parse(string line, Dictionary<string, CatalogueItem> items, byte[] key)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        string? Text(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
        var stamp = root.GetProperty("timestamp");
        var time = stamp.ValueKind == JsonValueKind.Number
            ? stamp.GetInt64()
            : DateTimeOffset.Parse(stamp.GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        var item = Text("itemId");
        items.TryGetValue(item ?? "", out var known);
        var price = Text("price") is { } p ? decimal.Parse(p, CultureInfo.InvariantCulture) : known?.Price ?? 0m;
        var quantity = Text("quantity") is { } q ? int.Parse(q, CultureInfo.InvariantCulture) : 1;
        var type = Text("type")!;
        var user = Pseudonym(key, Text("userId")!);
        return new Event(Text("eventId")!, user, type, time, item, Text("categoryId") ?? known?.CategoryId,
            known?.Brand.ToLowerInvariant(), type == "purchase" ? price * quantity : 0m);
    }

    /// <summary>HMAC-SHA256 of the raw id, first 16 bytes in hex: the documented pseudonym.</summary>
    public static string Pseudonym(byte[] key, string rawUserId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(rawUserId)).AsSpan(0, 16));

    private static Profile Build(string user, List<Event> events)
    {
        var asOf = events.Max(e => e.Time);
        var windows = new Dictionary<string, (IReadOnlyDictionary<string, long>, decimal)>();
        foreach (var (name, bucket, count) in new[] { ("1h", Minute, 60L), ("24h", Hour, 24L), ("7d", Hour, 168L), ("30d", Day, 30L) })
        {
            var inside = events.Where(e => e.Time / bucket > asOf / bucket - count).ToList();
            windows[name] = (Types.ToDictionary(t => t, t => (long)inside.Count(e => e.Type == t)), inside.Sum(e => e.Amount));
        }
        var ordered = events.OrderBy(e => e.Time).ToList();
        var gaps = ordered.Zip(ordered.Skip(1), (a, b) => b.Time - a.Time).Where(g => g > 0).ToList();
        return new Profile(
            user,
            events.Count,
            asOf,
            events.Min(e => e.Time),
            Types.ToDictionary(t => t, t => (long)events.Count(e => e.Type == t)),
            events.Sum(e => e.Amount),
            windows,
            Math.Min(256, events.Where(e => e.Item is not null).Select(e => e.Item).Distinct().Count()),
            Math.Min(256, events.Where(e => e.Category is not null).Select(e => e.Category).Distinct().Count()),
            events.Where(e => e.Type == "purchase").Select(e => (long?)e.Time).Max(),
            events.Where(e => e.Type == "cart_add").Select(e => (long?)e.Time).Max(),
            1 + gaps.Count(g => g > 30 * Minute),
            gaps.Count,
            gaps.Count == 0 ? 0 : gaps.Max() / 1000.0,
            Affinity(events.Where(e => e.Category is not null), e => e.Category!, asOf),
            Affinity(events.Where(e => e.Brand is not null), e => e.Brand!, asOf));
    }

    /// <summary>score = Σ w(type) · 2^(−(asOf − t) / 7 d) per key.</summary>
    private static Affinities Affinity(IEnumerable<Event> events, Func<Event, string> key, long asOf) => new(
        events.GroupBy(key).ToDictionary(
            g => g.Key,
            g => g.Sum(e => Weights[Array.IndexOf(Types, e.Type)] * Math.Pow(2, -(asOf - e.Time) / (7.0 * Day)))));
}
