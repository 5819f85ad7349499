using System.Collections.Immutable;
using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Streams;

/// <summary>What the decision stage does: inactivity timers, churn risk, and the rules.</summary>
/// <param name="InactiveAfter">Event time without an event of a user before the user is found inactive.</param>
/// <param name="WatermarkLateness">How far behind the newest event time the watermark stays.</param>
/// <param name="PriorVisitGap">The gap between visits assumed for a user with one visit (<see cref="ChurnRisk"/>).</param>
/// <param name="MaxTrackedUsers">Users with a pending inactivity timer, and users in the frequency-cap ledger, at most.</param>
public sealed record DecisionSettings(
    TimeSpan InactiveAfter,
    TimeSpan WatermarkLateness,
    TimeSpan PriorVisitGap,
    int MaxTrackedUsers,
    ImmutableArray<DecisionRule> Rules);

/// <summary>
/// After scoring: each profile update sets its user's inactivity timer and is given to the update rules; when the
/// watermark passes other users' timers, their last profiles are flagged inactive with their churn risk and given to
/// the inactivity rules. Both ride on the record that moved the watermark, in source order.
/// </summary>
public static class DecisionStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(DecisionSettings settings, PipelineMetrics metrics) =>
        Flow.Create<PipelineItem>().StatefulSelectMany<PipelineItem, PipelineItem, PipelineItem, NotUsed>(() =>
        {
            var timers = new InactivityTracker(settings.InactiveAfter, settings.WatermarkLateness, settings.MaxTrackedUsers);
            var rules = new RuleBook(settings.Rules, settings.MaxTrackedUsers);
            return item => [Decide(item, timers, rules, settings, metrics)];
        });

    private static PipelineItem Decide(PipelineItem item, InactivityTracker timers, RuleBook rules, DecisionSettings settings, PipelineMetrics metrics)
    {
        if (item.Outcome == Domain.Profile.EventOutcome.Applied && item.Event is { } applied)
            timers.Touch(applied.UserId, applied.Timestamp);
        if (item.Profile is not { } profile)
            return item;
        timers.Observe(profile);
        ImmutableArray<ProfileAction>.Builder? actions = null;
        if (rules.Decide(profile, RuleTrigger.Update, profile.Features.AsOf) is { } onUpdate)
            (actions ??= ImmutableArray.CreateBuilder<ProfileAction>()).Add(onUpdate);
        var quiet = timers.Advance();
        ImmutableArray<ScoredProfile>.Builder? inactive = null;
        foreach (var user in quiet)
        {
            var flagged = user.Profile.AsInactive(user.QuietSince, user.DetectedAt,
                ChurnRisk.Of(user.Profile.Features, user.DetectedAt, settings.PriorVisitGap));
            (inactive ??= ImmutableArray.CreateBuilder<ScoredProfile>(quiet.Count)).Add(flagged);
            if (rules.Decide(flagged, RuleTrigger.Inactive, user.DetectedAt) is { } onQuiet)
                (actions ??= ImmutableArray.CreateBuilder<ProfileAction>()).Add(onQuiet);
        }
        metrics.RecordDecisions(inactive?.Count ?? 0, actions is null ? [] : actions, timers.Tracked, rules.Capped);
        if (actions is null && inactive is null)
            return item;
        return item with { Inactive = inactive?.ToImmutable() ?? [], Actions = actions?.ToImmutable() ?? [] };
    }
}
