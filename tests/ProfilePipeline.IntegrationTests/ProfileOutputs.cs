using System.Text.Json;

namespace ProfilePipeline.IntegrationTests;

/// <summary>Reads a data folder's outputs the way a downstream consumer would.</summary>
public static class ProfileOutputs
{
    /// <summary>The last line per user of profiles.jsonl: the user's current profile.</summary>
    public static Dictionary<string, JsonElement> LatestProfiles(string dataDirectory)
    {
        var latest = new Dictionary<string, JsonElement>();
        foreach (var line in File.ReadLines(Path.Combine(dataDirectory, "profiles.jsonl")))
        {
            var profile = JsonDocument.Parse(line).RootElement;
            latest[profile.GetProperty("userId").GetString()!] = profile;
        }
        return latest;
    }

    /// <summary>The last record per key of a scored-profile topic: each user's current profile, as a compacted topic keeps it.</summary>
    public static Dictionary<string, JsonElement> LatestByKey(IEnumerable<Confluent.Kafka.ConsumeResult<byte[]?, byte[]?>> records)
    {
        var latest = new Dictionary<string, JsonElement>();
        foreach (var record in records.OrderBy(r => r.Offset.Value))
        {
            var value = JsonDocument.Parse(record.Message.Value!).RootElement;
            var user = value.GetProperty("userId").GetString()!;
            if (System.Text.Encoding.UTF8.GetString(record.Message.Key!) != user)
                throw new InvalidDataException($"a profile of {user} was published under another key");
            latest[user] = value;
        }
        return latest;
    }

    public static List<JsonElement> DeadLetters(string dataDirectory) =>
        File.ReadLines(Path.Combine(dataDirectory, "dead-letters.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    /// <summary>Every difference between the published profiles and the ground truth, as readable lines.</summary>
    public static List<string> Differences(GroundTruth truth, IReadOnlyDictionary<string, JsonElement> published)
    {
        var differences = new List<string>();
        foreach (var user in truth.Profiles.Keys.Except(published.Keys))
            differences.Add($"{user}: no profile published");
        foreach (var user in published.Keys.Except(truth.Profiles.Keys))
            differences.Add($"{user}: published but has no valid events");
        foreach (var (user, expected) in truth.Profiles)
        {
            if (!published.TryGetValue(user, out var actual))
                continue;
            var f = actual.GetProperty("features");
            void Check(string what, object? want, object? got)
            {
                if (!Equals(want, got))
                    differences.Add($"{user}: {what} expected {want} but was {got}");
            }
            Check("profileVersion", expected.Version, actual.GetProperty("profileVersion").GetInt64());
            Check("asOfMs", expected.AsOf, actual.GetProperty("asOfMs").GetInt64());
            Check("firstSeenMs", expected.FirstSeen, f.GetProperty("firstSeenMs").GetInt64());
            foreach (var (type, count) in expected.Lifetime)
                Check("lifetime." + type, count, f.GetProperty("lifetime").GetProperty(type).GetInt64());
            Check("lifetime.spend", expected.Spend, f.GetProperty("lifetime").GetProperty("spend").GetDecimal());
            foreach (var (window, (counts, spend)) in expected.Windows)
            {
                var w = f.GetProperty("windows").GetProperty(window);
                foreach (var (type, count) in counts)
                    Check($"windows.{window}.{type}", count, w.GetProperty(type).GetInt64());
                Check($"windows.{window}.spend", spend, w.GetProperty("spend").GetDecimal());
            }
            Check("distinctItems", expected.DistinctItems, f.GetProperty("distinctItems").GetInt64());
            Check("distinctCategories", expected.DistinctCategories, f.GetProperty("distinctCategories").GetInt64());
            Check("lastPurchaseAtMs", expected.LastPurchaseAt, Optional(f.GetProperty("lastPurchaseAtMs")));
            Check("lastCartAddAtMs", expected.LastCartAddAt, Optional(f.GetProperty("lastCartAddAtMs")));
            Check("sessions.count", expected.Sessions, f.GetProperty("sessions").GetProperty("count").GetInt64());
            Check("intervals.count", expected.Intervals, f.GetProperty("intervals").GetProperty("count").GetInt64());
            Check("intervals.maxSeconds", Math.Round(expected.MaxIntervalSeconds, 3), f.GetProperty("intervals").GetProperty("maxSeconds").GetDouble());
            CheckAffinity(differences, user, "topCategories", expected.Categories, f.GetProperty("topCategories"));
            CheckAffinity(differences, user, "topBrands", expected.Brands, f.GetProperty("topBrands"));
        }
        return differences;
    }

    private static long? Optional(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt64();

    private static void CheckAffinity(List<string> differences, string user, string what, GroundTruth.Affinities truth, JsonElement actual)
    {
        var got = actual.EnumerateArray().Select(a => (Key: a.GetProperty("key").GetString()!, Score: a.GetProperty("score").GetDouble())).ToList();
        var expected = truth.Top;
        bool Close(double want, double have) => Math.Abs(want - have) <= 1e-8 + 1e-9 * want;
        var same = truth.WithinCapacity
            ? got.Count == expected.Count && expected.Zip(got, (want, have) =>
                Close(want.Score, have.Score) && (want.Key == have.Key || Close(want.Score, have.Score))).All(ok => ok)
            : got.Count == expected.Count && got[0].Key == expected[0].Key
              && got.All(have => truth.All.TryGetValue(have.Key, out var want) && have.Score <= want + 1e-8 + 1e-9 * want);
        if (!same)
            differences.Add($"{user}: {what} ({truth.All.Count} keys) expected [{string.Join(", ", expected)}] but was [{string.Join(", ", got)}]");
    }
}
