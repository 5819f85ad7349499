using System.Collections.Immutable;
using System.Text.Json;
using Akka.Configuration;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>
/// Binds <c>profile-pipeline.decisions</c> and reads the rules file (JSON, <c>config/decision-rules.json</c> by default).
/// A rule that names an unknown trigger, tag or tier, or lacks a part, is refused with the file and the rule's name.
/// </summary>
public static class DecisionConfig
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The decision stage's settings, or null when <c>enabled = off</c>.</summary>
    /// <remarks>A relative <c>rules-file</c> is looked for in the working directory, then in the node's own config folder.</remarks>
    public static DecisionSettings? From(Config config)
    {
        var d = config.GetConfig("profile-pipeline.decisions");
        if (d is null || !d.GetBoolean("enabled", false))
            return null;
        var rulesFile = d.GetString("rules-file");
        var path = Path.IsPathRooted(rulesFile) || File.Exists(rulesFile) ? rulesFile : Path.Combine(AppContext.BaseDirectory, "config", rulesFile);
        var settings = new DecisionSettings(
            d.GetTimeSpan("inactive-after"), d.GetTimeSpan("watermark-lateness"), d.GetTimeSpan("prior-visit-gap"), d.GetInt("max-tracked-users"),
            ReadRules(path));
        if (settings.InactiveAfter <= TimeSpan.Zero || settings.WatermarkLateness < TimeSpan.Zero || settings.PriorVisitGap <= TimeSpan.Zero
            || settings.MaxTrackedUsers < 1)
            throw new ConfigurationException("profile-pipeline.decisions: inactive-after, prior-visit-gap and max-tracked-users must be positive");
        return settings;
    }

    public static ImmutableArray<DecisionRule> ReadRules(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"decision rules file {path} does not exist (profile-pipeline.decisions.rules-file)");
        RulesFile file;
        try
        {
            file = JsonSerializer.Deserialize<RulesFile>(File.ReadAllText(path), Json) ?? throw new JsonException("the file is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a rules file ({e.Message})", e);
        }
        var rules = ImmutableArray.CreateBuilder<DecisionRule>();
        foreach (var (rule, index) in (file.Rules ?? []).Select((r, i) => (r, i)))
            rules.Add(Bind(rule, $"{path}: rule {rule.Name ?? $"#{index + 1}"}"));
        var duplicate = rules.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"{path}: two rules are named {duplicate.Key}");
        return rules.ToImmutable();
    }

    private static DecisionRule Bind(RuleEntry entry, string where)
    {
        if (string.IsNullOrWhiteSpace(entry.Name) || string.IsNullOrWhiteSpace(entry.Action))
            throw new InvalidDataException($"{where}: needs a name and an action");
        var trigger = entry.On switch
        {
            "update" => RuleTrigger.Update,
            "inactive" => RuleTrigger.Inactive,
            _ => throw new InvalidDataException($"{where}: \"on\" is '{entry.On}'; use \"update\" (every profile update) or \"inactive\" (a user found quiet)"),
        };
        var when = entry.When ?? new ConditionEntry();
        foreach (var tag in (when.AllTags ?? []).Concat(when.AnyTags ?? []).Concat(when.NoTags ?? []))
        {
            if (!ProfileTags.All.Contains(tag))
                throw new InvalidDataException($"{where}: unknown tag '{tag}'; tags are {string.Join(", ", ProfileTags.All)}");
        }
        foreach (var tier in when.Tiers ?? [])
        {
            if (!RfmTiers.All.Contains(tier))
                throw new InvalidDataException($"{where}: unknown tier '{tier}'; tiers are {string.Join(", ", RfmTiers.All)}");
        }
        if (entry.Cap is not { Count: > 0 } cap || string.IsNullOrWhiteSpace(cap.Per))
            throw new InvalidDataException($"{where}: needs a cap with a positive count and a period, e.g. \"cap\": {{ \"count\": 1, \"per\": \"7d\" }}");
        TimeSpan per;
        try
        {
            per = LearningConfig.ParseDuration(cap.Per);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{where}: cap period {e.Message}", e);
        }
        return new DecisionRule(entry.Name, trigger, new RuleCondition
        {
            MinPropensity = when.MinPropensity, MaxPropensity = when.MaxPropensity, MinChurnRisk = when.MinChurnRisk,
            AllTags = [.. when.AllTags ?? []], AnyTags = [.. when.AnyTags ?? []], NoTags = [.. when.NoTags ?? []], Tiers = [.. when.Tiers ?? []],
            Segments = [.. when.Segments ?? []],
        }, entry.Action, entry.Priority, new FrequencyCap(cap.Count, per));
    }

    private sealed record RulesFile(List<RuleEntry>? Rules);

    private sealed record RuleEntry(string? Name, string? On, ConditionEntry? When, string? Action, int Priority, CapEntry? Cap);

    private sealed record ConditionEntry(
        double? MinPropensity = null, double? MaxPropensity = null, double? MinChurnRisk = null,
        List<string>? AllTags = null, List<string>? AnyTags = null, List<string>? NoTags = null, List<string>? Tiers = null,
        List<string>? Segments = null);

    private sealed record CapEntry(int Count, string? Per);
}
