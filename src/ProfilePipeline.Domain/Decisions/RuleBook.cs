using System.Collections.Immutable;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>When a rule is evaluated: on every profile update, or when a user is found inactive.</summary>
public enum RuleTrigger
{
    Update,
    Inactive,
}

/// <summary>What a profile must satisfy for a rule to fire; every given part must hold.</summary>
public sealed record RuleCondition
{
    public double? MinPropensity { get; init; }
    public double? MaxPropensity { get; init; }
    public double? MinChurnRisk { get; init; }

    /// <summary>Tags the profile must all have.</summary>
    public ImmutableArray<string> AllTags { get; init; } = [];

    /// <summary>Tags of which the profile must have at least one (when any are given).</summary>
    public ImmutableArray<string> AnyTags { get; init; } = [];

    /// <summary>Tags the profile must not have.</summary>
    public ImmutableArray<string> NoTags { get; init; } = [];

    /// <summary>RFM tiers of which the profile must be in one (when any are given).</summary>
    public ImmutableArray<string> Tiers { get; init; } = [];

    /// <summary>Segments (ids such as s3, or names) of which the profile must be in one (when any are given).</summary>
    public ImmutableArray<string> Segments { get; init; } = [];

    public bool Holds(ScoredProfile p) =>
        (MinPropensity is not { } minP || p.Propensity >= minP)
        && (MaxPropensity is not { } maxP || p.Propensity <= maxP)
        && (MinChurnRisk is not { } minC || p.ChurnRisk >= minC)
        && Count(AllTags, p.Tags) == AllTags.Length
        && (AnyTags.IsEmpty || Count(AnyTags, p.Tags) > 0)
        && Count(NoTags, p.Tags) == 0
        && (Tiers.IsEmpty || Tiers.Contains(p.Rfm.Tier))
        && (Segments.IsEmpty || (p.Segment is { } s && (Segments.Contains(s.Id) || Segments.Contains(s.Name))));

    /// <summary>How many of <paramref name="wanted"/> the profile has: a loop, since every profile update is tested.</summary>
    private static int Count(ImmutableArray<string> wanted, ImmutableSortedSet<string> tags)
    {
        var found = 0;
        foreach (var tag in wanted)
        {
            if (tags.Contains(tag))
                found++;
        }
        return found;
    }
}

/// <summary>At most <see cref="Count"/> actions of a rule per user within any <see cref="Per"/> of event time.</summary>
public sealed record FrequencyCap(int Count, TimeSpan Per);

/// <summary>A decision rule, as data: when it is evaluated, what must hold, the action it produces, its priority and cap.</summary>
public sealed record DecisionRule(string Name, RuleTrigger On, RuleCondition When, string Action, int Priority, FrequencyCap Cap);

/// <summary>An action decided for a user at event time <see cref="At"/>, with the profile it was decided on.</summary>
public sealed record ProfileAction(string UserId, string Action, string Rule, RuleTrigger Trigger, long At, ScoredProfile Profile);

/// <summary>
/// The decision rules in the order they are tried: highest priority first, then by name. For a profile and a trigger
/// it gives the rules whose condition holds; which of them fires is up to the user's <see cref="DecisionLedger"/>,
/// which knows the caps.
/// </summary>
public sealed class RuleBook
{
    private readonly ImmutableArray<DecisionRule> _rules;
    private readonly Dictionary<string, DecisionRule> _byName;

    public RuleBook(IEnumerable<DecisionRule> rules)
    {
        _rules = [.. rules.OrderByDescending(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal)];
        _byName = _rules.ToDictionary(r => r.Name, StringComparer.Ordinal);
        LongestCapPeriod = _rules.IsEmpty ? TimeSpan.Zero : _rules.Max(r => r.Cap.Per);
    }

    public static readonly RuleBook None = new([]);

    public ImmutableArray<DecisionRule> Rules => _rules;

    /// <summary>How long a ledger must remember an action for every cap to be checked.</summary>
    public TimeSpan LongestCapPeriod { get; }

    public DecisionRule? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The rules of <paramref name="trigger"/> whose condition the profile satisfies, in the order they are tried.</summary>
    public ImmutableArray<DecisionRule> Holding(ScoredProfile profile, RuleTrigger trigger)
    {
        ImmutableArray<DecisionRule>.Builder? holding = null;
        foreach (var rule in _rules)
        {
            if (rule.On == trigger && rule.When.Holds(profile))
                (holding ??= ImmutableArray.CreateBuilder<DecisionRule>()).Add(rule);
        }
        return holding?.ToImmutable() ?? [];
    }
}
