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
/// Evaluates decision rules: of the rules of the trigger whose condition holds, the one with the highest priority
/// (then the first by name) that is not capped for the user produces an action; at most one action per evaluation.
/// Caps count the user's earlier actions of the rule in event time, also out of order: any within <c>Per</c> before
/// the new one counts.
/// </summary>
/// <remarks>
/// The ledger of past actions holds at most <c>maxUsers</c> users; entries older than the longest cap period are
/// dropped as users act again or in a sweep when it is full. When it is still full, no action is decided for a new
/// user (counted in <see cref="RefusedLedgerFull"/>), so that a cap is never exceeded.
/// </remarks>
public sealed class RuleBook
{
    private readonly ImmutableArray<DecisionRule> _rules;
    private readonly int _maxUsers;
    private readonly long _longestPeriod;
    private readonly Dictionary<string, List<(DecisionRule Rule, long At)>> _ledger = new(StringComparer.Ordinal);
    private long _newest = long.MinValue;

    public RuleBook(IEnumerable<DecisionRule> rules, int maxUsers)
    {
        _rules = [.. rules.OrderByDescending(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal)];
        _maxUsers = maxUsers;
        _longestPeriod = _rules.IsEmpty ? 0 : _rules.Max(r => (long)r.Cap.Per.TotalMilliseconds);
    }

    public ImmutableArray<DecisionRule> Rules => _rules;

    /// <summary>Evaluations where a holding rule was skipped because of its cap.</summary>
    public long Capped { get; private set; }

    public long RefusedLedgerFull { get; private set; }

    public ProfileAction? Decide(ScoredProfile profile, RuleTrigger trigger, long at)
    {
        _newest = Math.Max(_newest, at);
        var userId = profile.Features.UserId;
        _ledger.TryGetValue(userId, out var past);
        foreach (var rule in _rules)
        {
            if (rule.On != trigger || !rule.When.Holds(profile))
                continue;
            var since = at - (long)rule.Cap.Per.TotalMilliseconds;
            if (past is not null && past.Count(p => p.Rule == rule && p.At > since) >= rule.Cap.Count)
            {
                Capped++;
                continue;
            }
            if (past is null)
            {
                if (_ledger.Count >= _maxUsers && !Sweep())
                {
                    RefusedLedgerFull++;
                    return null;
                }
                _ledger[userId] = past = [];
            }
            past.RemoveAll(p => p.At <= _newest - _longestPeriod);
            past.Add((rule, at));
            return new ProfileAction(userId, rule.Action, rule.Name, trigger, at, profile);
        }
        return null;
    }

    /// <summary>Drops the users whose every action is older than the longest cap period; true when room was made.</summary>
    private bool Sweep()
    {
        var expired = _ledger.Where(kv => kv.Value.All(p => p.At <= _newest - _longestPeriod)).Select(kv => kv.Key).ToList();
        foreach (var user in expired)
            _ledger.Remove(user);
        return _ledger.Count < _maxUsers;
    }
}
