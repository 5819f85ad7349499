using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Node;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The rules file: the shipped one loads, and a broken rule is refused with the file, the rule and what is wrong.</summary>
public sealed class DecisionConfigSpecs
{
    private static string Write(string json)
    {
        var path = Path.Combine(TestData.NewFolder("rules"), "rules.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void The_shipped_rules_load_with_their_triggers_caps_and_priorities()
    {
        var settings = DecisionConfig.From(NodeConfig.Load(null, TestData.NewFolder("rules-default")));
        Assert.NotNull(settings);
        var rules = settings.Rules.ToDictionary(r => r.Name);
        Assert.Equal(RuleTrigger.Inactive, rules["win-back"].On);
        Assert.Equal(new FrequencyCap(1, TimeSpan.FromDays(30)), rules["win-back"].Cap);
        Assert.Equal(RuleTrigger.Update, rules["cart-rescue"].On);
        Assert.Equal(TimeSpan.FromDays(3), settings.InactiveAfter);
        Assert.Null(DecisionConfig.From(NodeConfig.Load(null, TestData.NewFolder("rules-off"), "profile-pipeline.decisions.enabled = off")));
    }

    [Theory]
    [InlineData("""{ "rules": [ { "name": "a", "on": "sometimes", "action": "x", "cap": { "count": 1, "per": "1d" } } ] }""", "rule a: \"on\" is 'sometimes'")]
    [InlineData("""{ "rules": [ { "name": "b", "on": "update", "when": { "allTags": ["vip"] }, "action": "x", "cap": { "count": 1, "per": "1d" } } ] }""", "rule b: unknown tag 'vip'")]
    [InlineData("""{ "rules": [ { "name": "c", "on": "update", "when": { "tiers": ["gold"] }, "action": "x", "cap": { "count": 1, "per": "1d" } } ] }""", "rule c: unknown tier 'gold'")]
    [InlineData("""{ "rules": [ { "name": "d", "on": "update", "action": "x" } ] }""", "rule d: needs a cap")]
    [InlineData("""{ "rules": [ { "name": "e", "on": "update", "action": "x", "cap": { "count": 1, "per": "soon" } } ] }""", "rule e: cap period")]
    [InlineData("""{ "rules": [ { "name": "f", "on": "update", "action": "x", "cap": { "count": 1, "per": "1d" }, "when": { "minPropensty": 0.5 } } ] }""", "not a rules file")]
    [InlineData("""{ "rules": [ { "on": "update", "action": "x", "cap": { "count": 1, "per": "1d" } } ] }""", "rule #1: needs a name and an action")]
    [InlineData("""{ "rules": [ { "name": "g", "on": "update", "action": "x", "cap": { "count": 1, "per": "1d" } }, { "name": "g", "on": "inactive", "action": "y", "cap": { "count": 1, "per": "1d" } } ] }""", "two rules are named g")]
    public void A_broken_rule_is_refused_with_the_file_the_rule_and_the_reason(string json, string expected)
    {
        var path = Write(json);
        var error = Assert.Throws<InvalidDataException>(() => DecisionConfig.ReadRules(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }
}
