using System.Globalization;
using System.Text;

namespace ProfilePipeline.Domain.Generation;

/// <summary>
/// A deterministic synthetic behaviour stream in the canonical JSON-lines format: users with latent category
/// preferences and purchase intent, gap-separated sessions, view → cart → purchase funnels, heavy-tailed
/// activity, churners who stop, and a configurable share of malformed and duplicate records. Events come out
/// in event-time order; each user's events are in order.
/// </summary>
public sealed class BehaviorGenerator
{
    private static readonly string[] Devices = ["mobile", "desktop", "tablet", "app"];
    private readonly GeneratorSettings _settings;

    public BehaviorGenerator(GeneratorSettings settings)
    {
        _settings = settings.Validate();
        Catalogue = new Catalogue(settings);
    }

    public Catalogue Catalogue { get; }

    public IEnumerable<GeneratedRecord> Generate()
    {
        var random = new DeterministicRandom(_settings.Seed);
        var users = CreateUsers(random);
        var start = _settings.Start.ToUnixTimeMilliseconds();
        var horizonMs = _settings.Horizon.TotalMilliseconds;
        const double meanSessionEvents = 6;
        var totalActivity = users.Sum(u => u.Activity);
        // Session rates chosen so that the whole budget of events spreads over the horizon.
        var sessionsPerMsPerActivity = _settings.Events / meanSessionEvents / horizonMs / totalActivity;

        var queue = new PriorityQueue<SyntheticUser, (long Time, int Order)>();
        for (var i = 0; i < users.Count; i++)
            queue.Enqueue(users[i], (start + (long)random.Exponential(1 / (sessionsPerMsPerActivity * users[i].Activity)), i));

        var shiftAt = _settings.ConceptShiftAt is { } shift ? start + (long)(shift * horizonMs) : long.MaxValue;
        long offset = 0;
        var ordinal = 0L;
        while (offset < _settings.Events && queue.TryDequeue(out var user, out var at))
        {
            if (user.Session.Count == 0)
                PlanSession(user, random, shifted: at.Time >= shiftAt);
            var planned = user.Session.Dequeue();
            var eventId = $"g{_settings.Seed}-{ordinal++}";
            var line = ToJson(eventId, user, planned, at.Time, random);
            if (random.Chance(_settings.MalformedShare))
            {
                var (bad, kind) = Malform(line, user, at.Time, random);
                yield return new GeneratedRecord(offset++, bad, kind);
            }
            else
            {
                yield return new GeneratedRecord(offset++, line, null);
                if (offset < _settings.Events && random.Chance(_settings.DuplicateShare))
                    yield return new GeneratedRecord(offset++, line, null);
            }

            long next;
            if (user.Session.Count > 0)
                next = at.Time + 5_000 + (long)random.Exponential(60_000);
            else
                next = at.Time + 31 * 60_000 + (long)random.Exponential(1 / (sessionsPerMsPerActivity * user.Activity));
            if (next < user.ChurnAt)
                queue.Enqueue(user, (next, at.Order));
        }
    }

    /// <summary>User attributes side data (design.md §3) matching the generated users, as CSV.</summary>
    public void WriteUserAttributesCsv(string path)
    {
        var users = CreateUsers(new DeterministicRandom(_settings.Seed));
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.WriteLine("userId,ageBand,gender,region,registeredAt");
        string[] bands = ["18-24", "25-34", "35-44", "45-54", "55+"];
        string[] regions = ["north", "south", "east", "west", "central"];
        var attributes = new DeterministicRandom(_settings.Seed ^ 0xA77UL);
        foreach (var user in users)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{user.Id},{bands[attributes.Next(bands.Length)]},{(attributes.Chance(0.5) ? "f" : "m")},{regions[attributes.Next(regions.Length)]},{DateTimeOffset.FromUnixTimeMilliseconds(user.RegisteredAt):yyyy-MM-ddTHH:mm:ssZ}"));
        }
    }

    private List<SyntheticUser> CreateUsers(DeterministicRandom random)
    {
        var users = new List<SyntheticUser>(_settings.Users);
        var start = _settings.Start.ToUnixTimeMilliseconds();
        var horizonMs = (long)_settings.Horizon.TotalMilliseconds;
        for (var u = 0; u < _settings.Users; u++)
        {
            var preferred = Enumerable.Range(0, 3).Select(_ => random.Next(_settings.Categories)).Distinct().ToArray();
            var weights = preferred.Select(_ => 0.2 + random.NextDouble()).ToArray();
            var intent = Math.Pow(random.NextDouble(), 2);
            users.Add(new SyntheticUser
            {
                Id = "u" + u.ToString(CultureInfo.InvariantCulture),
                PreferredCategories = preferred,
                PreferenceWeights = weights,
                Intent = intent,
                Activity = Math.Min(random.Pareto(1.3), 200),
                ChurnAt = random.Chance(0.2) ? start + (long)(random.NextDouble() * horizonMs) : long.MaxValue,
                RegisteredAt = start - (long)(random.NextDouble() * 400 * 86_400_000.0),
                Device = Devices[random.Next(Devices.Length)],
                SharesEmail = random.Chance(0.3),
            });
        }
        return users;
    }

    private void PlanSession(SyntheticUser user, DeterministicRandom random, bool shifted)
    {
        user.SessionNumber++;
        var category = PickCategory(user, random);
        var length = 1 + (int)random.Exponential(5);
        if (random.Chance(0.2))
            user.Session.Enqueue(new PlannedEvent("search", null, null, null, 1, "query-c" + category));
        var cart = new List<(string Item, string Category, decimal Price)>();
        for (var k = 0; k < length; k++)
        {
            if (random.Chance(0.15))
                category = PickCategory(user, random);
            var (itemId, categoryId, price) = PickItem(category, random);
            user.Session.Enqueue(new PlannedEvent("view", itemId, categoryId, null, 1, null));
            if (random.Chance(0.3))
                user.Session.Enqueue(new PlannedEvent("click", itemId, categoryId, null, 1, null));
            if (random.Chance(0.04 + 0.08 * user.Intent))
                user.Session.Enqueue(new PlannedEvent("favorite", itemId, categoryId, null, 1, null));
            if (random.Chance(0.05 + 0.35 * user.Intent))
            {
                user.Session.Enqueue(new PlannedEvent("cart_add", itemId, categoryId, price, 1, null));
                cart.Add((itemId, categoryId, price));
            }
        }
        foreach (var (item, categoryId, price) in cart)
        {
            if (random.Chance(0.1))
                user.Session.Enqueue(new PlannedEvent("cart_remove", item, categoryId, price, 1, null));
            else if (random.Chance(0.1 + 0.8 * (shifted ? 1 - user.Intent : user.Intent) * (price < 100 ? 1 : 0.6)))
                user.Session.Enqueue(new PlannedEvent("purchase", item, categoryId, price, 1 + (random.Chance(0.15) ? random.Next(3) : 0), null));
        }
    }

    private int PickCategory(SyntheticUser user, DeterministicRandom random)
    {
        if (random.Chance(0.2))
            return random.Next(_settings.Categories);
        var pick = random.NextDouble() * user.PreferenceWeights.Sum();
        for (var i = 0; i < user.PreferredCategories.Length; i++)
        {
            pick -= user.PreferenceWeights[i];
            if (pick <= 0)
                return user.PreferredCategories[i];
        }
        return user.PreferredCategories[^1];
    }

    private (string ItemId, string CategoryId, decimal Price) PickItem(int category, DeterministicRandom random)
    {
        var items = Catalogue.ByCategory[category];
        // Popularity is skewed: low item numbers are picked far more often.
        var item = items[(int)(Math.Pow(random.NextDouble(), 3) * items.Count)];
        if (random.Chance(_settings.UnknownItemShare))
            return ($"x{category}-{random.Next(1_000_000)}", item.CategoryId, item.Price);
        return (item.ItemId, item.CategoryId, item.Price);
    }

    private static string ToJson(string eventId, SyntheticUser user, PlannedEvent e, long timestamp, DeterministicRandom random)
    {
        var json = new StringBuilder(256);
        json.Append("{\"eventId\":\"").Append(eventId).Append("\",\"userId\":\"").Append(user.Id).Append("\",\"type\":\"").Append(e.Type).Append('"');
        json.Append(",\"timestamp\":");
        if (random.Chance(0.5))
            json.Append(timestamp.ToString(CultureInfo.InvariantCulture));
        else
            json.Append('"').Append(DateTimeOffset.FromUnixTimeMilliseconds(timestamp).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)).Append('"');
        if (e.ItemId is not null)
            json.Append(",\"itemId\":\"").Append(e.ItemId).Append('"');
        if (e.CategoryId is not null)
            json.Append(",\"categoryId\":\"").Append(e.CategoryId).Append('"');
        if (e.Price is { } price)
            json.Append(",\"price\":").Append(price.ToString(CultureInfo.InvariantCulture));
        if (e.Quantity != 1)
            json.Append(",\"quantity\":").Append(e.Quantity.ToString(CultureInfo.InvariantCulture));
        if (e.Query is not null)
            json.Append(",\"query\":\"").Append(e.Query).Append('"');
        json.Append(",\"sessionId\":\"").Append(user.Id).Append('-').Append(user.SessionNumber.ToString(CultureInfo.InvariantCulture)).Append('"');
        json.Append(",\"device\":\"").Append(user.Device).Append('"');
        if (user.SharesEmail)
            json.Append(",\"attributes\":{\"email\":\"").Append(user.Id).Append("@example.com\"}");
        json.Append('}');
        return json.ToString();
    }

    private static (string Line, string Kind) Malform(string line, SyntheticUser user, long timestamp, DeterministicRandom random)
    {
        var ms = timestamp.ToString(CultureInfo.InvariantCulture);
        return random.Next(8) switch
        {
            0 => (line[..(line.Length / 2)], "truncated_json"),
            1 => (line.Replace($"\"userId\":\"{user.Id}\",", "", StringComparison.Ordinal), "missing_user"),
            2 => ("{\"eventId\":\"bad\",\"userId\":\"" + user.Id + "\",\"type\":\"teleport\",\"timestamp\":" + ms + "}", "unknown_type"),
            3 => ("{\"userId\":\"" + user.Id + "\",\"type\":\"view\",\"timestamp\":\"the day after tomorrow\",\"itemId\":\"i0-0\"}", "bad_timestamp"),
            4 => ("{\"userId\":\"" + user.Id + "\",\"type\":\"view\",\"timestamp\":\"2199-01-01T00:00:00Z\",\"itemId\":\"i0-0\"}", "future_timestamp"),
            5 => ("{\"userId\":\"" + user.Id + "\",\"type\":\"purchase\",\"timestamp\":" + ms + ",\"itemId\":\"i0-0\",\"price\":\"twelve\"}", "bad_price"),
            6 => ("[\"" + user.Id + "\",\"view\"]", "not_an_object"),
            _ => ("{\"userId\":\"" + user.Id + "\",\"type\":\"purchase\",\"timestamp\":" + ms + ",\"itemId\":\"i0-0\",\"price\":-3}", "negative_price"),
        };
    }
}
