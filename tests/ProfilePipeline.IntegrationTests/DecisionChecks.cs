using System.Text.Json;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Node;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The inactivity flags and actions of a run on the default settings, checked against the ground truth and the rules.</summary>
public static class DecisionChecks
{
    private static readonly long Gap = (long)TimeSpan.FromDays(3).TotalMilliseconds;      // profile-pipeline.decisions.inactive-after
    private static readonly long Lateness = (long)TimeSpan.FromMinutes(5).TotalMilliseconds; // profile-pipeline.decisions.watermark-lateness

    public static bool IsInactiveFlag(JsonElement profile) => profile.GetProperty("inactiveSinceMs").ValueKind == JsonValueKind.Number;

    /// <summary>
    /// Every user flagged inactive had no event from the flagged profile's time until the gap ran out, and every user
    /// whose last event is more than the gap (plus the watermark's lateness) before the stream's newest was flagged,
    /// with no event of theirs needed to do it.
    /// </summary>
    public static void InactivityFlags(GroundTruth truth, List<JsonElement> published)
    {
        var flags = FlagsAreRight(truth, published);
        var newest = truth.EventTimes.Values.Max(t => t[^1]);
        var flagged = flags.Select(f => (f.GetProperty("userId").GetString()!, f.GetProperty("asOfMs").GetInt64())).ToHashSet();
        var quietAtTheEnd = truth.EventTimes.Where(kv => kv.Value[^1] + Gap <= newest - Lateness).ToList();
        Assert.NotEmpty(quietAtTheEnd);
        Assert.All(quietAtTheEnd, kv => Assert.Contains((kv.Key, kv.Value[^1]), flagged));
    }

    /// <summary>
    /// There are flags, and every user flagged inactive had no event from the flagged profile's time until the gap ran
    /// out; gives the flags.
    /// </summary>
    public static List<JsonElement> FlagsAreRight(GroundTruth truth, List<JsonElement> published)
    {
        var flags = published.Where(IsInactiveFlag).ToList();
        Assert.NotEmpty(flags);
        foreach (var flag in flags)
        {
            var user = flag.GetProperty("userId").GetString()!;
            var asOf = flag.GetProperty("asOfMs").GetInt64();
            var since = flag.GetProperty("inactiveSinceMs").GetInt64();
            var times = truth.EventTimes[user];
            Assert.Contains(asOf, times);
            Assert.Equal(asOf + Gap, since);
            Assert.False(times.Any(t => t > asOf && t < since),
                $"{user} flagged at {flag.GetProperty("evaluatedAtMs").GetInt64()} as quiet from {asOf} to {since} but has events at "
                + string.Join(", ", times.Where(t => t > asOf && t < since)));
            Assert.True(flag.GetProperty("evaluatedAtMs").GetInt64() >= since);
            Assert.Contains("inactive", flag.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.InRange(flag.GetProperty("churnRisk").GetDouble(), 1e-9, 1);
        }
        return flags;
    }

    /// <summary>Every action in actions.jsonl satisfies its rule (config/decision-rules.json) and no cap is exceeded.</summary>
    public static void Actions(string data, List<JsonElement> published)
    {
        var rules = DecisionConfig.ReadRules(Path.Combine(AppContext.BaseDirectory, "config", "decision-rules.json")).ToDictionary(r => r.Name);
        var actions = File.ReadLines(Path.Combine(data, OutputFiles.ActionsFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(actions, a => a.GetProperty("trigger").GetString() == "update");
        Assert.Contains(actions, a => a.GetProperty("trigger").GetString() == "inactive");
        var inactiveFlags = published.Where(IsInactiveFlag)
            .Select(p => (p.GetProperty("userId").GetString(), p.GetProperty("evaluatedAtMs").GetInt64())).ToHashSet();
        foreach (var a in actions)
        {
            var rule = rules[a.GetProperty("rule").GetString()!];
            Assert.Equal(rule.Action, a.GetProperty("action").GetString());
            Assert.Equal(rule.On == RuleTrigger.Inactive ? "inactive" : "update", a.GetProperty("trigger").GetString());
            var propensity = a.GetProperty("propensity").GetDouble();
            var churn = a.GetProperty("churnRisk").GetDouble();
            var tags = a.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToHashSet();
            var when = rule.When;
            Assert.True(when.MinPropensity is not { } minP || propensity >= minP - 1e-6);
            Assert.True(when.MaxPropensity is not { } maxP || propensity <= maxP + 1e-6);
            Assert.True(when.MinChurnRisk is not { } minC || churn >= minC - 1e-6);
            Assert.True(when.AllTags.All(tags.Contains));
            Assert.True(when.AnyTags.IsEmpty || when.AnyTags.Any(tags.Contains));
            Assert.False(when.NoTags.Any(tags.Contains));
            Assert.True(when.Tiers.IsEmpty || when.Tiers.Contains(a.GetProperty("tier").GetString()!));
            if (rule.On == RuleTrigger.Inactive)
                Assert.Contains((a.GetProperty("userId").GetString(), a.GetProperty("atMs").GetInt64()), inactiveFlags);
        }
        foreach (var group in actions.GroupBy(a => (a.GetProperty("userId").GetString(), a.GetProperty("rule").GetString()!)))
        {
            var cap = rules[group.Key.Item2].Cap;
            var times = group.Select(a => a.GetProperty("atMs").GetInt64()).Order().ToList();
            for (var i = 0; i < times.Count; i++)
                Assert.True(times.Count(t => t <= times[i] && t > times[i] - (long)cap.Per.TotalMilliseconds) <= cap.Count,
                    $"{group.Key}: more than {cap.Count} actions within {cap.Per}");
        }
    }
}
