using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;

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
    ImmutableArray<DecisionRule> Rules)
{
    /// <summary>How long the user's entity may take to confirm a silence.</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// After scoring: each applied event moves its user's inactivity timer, and each profile update is given to the update
/// rules. When the watermark passes another user's timer, the user's entity is asked first: only if it holds no newer
/// event (on a cluster, the user's later events may have gone to another node after a rebalance, or the user was
/// erased) is the user flagged inactive with a churn risk and given to the inactivity rules. Flags and actions ride on
/// the record that moved the watermark, in source order.
/// </summary>
public static class DecisionStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(DecisionSettings settings, IActorRef profiles, PipelineMetrics metrics, int maxBatch = 500)
    {
        // One graph run creates the flow once: its state lives as long as the run. The rule book is locked because the
        // inactivity rules run after the asynchronous confirmation, the update rules before it. Records go through in
        // batches (whatever has queued up, at most maxBatch), so that the asynchronous step costs once per batch.
        var timers = new InactivityTracker(settings.InactiveAfter, settings.WatermarkLateness, settings.MaxTrackedUsers);
        var rules = new RuleBook(settings.Rules, settings.MaxTrackedUsers);
        var ruleLock = new Lock();
        return Flow.Create<PipelineItem>()
            .Batch(maxBatch, item => new List<PipelineItem> { item }, (list, item) => { list.Add(item); return list; })
            .Select(batch =>
            {
                var candidates = new List<(int Index, IReadOnlyList<QuietUser> Users)>();
                for (var i = 0; i < batch.Count; i++)
                {
                    var (item, quiet) = Observe(batch[i], timers, rules, ruleLock, metrics);
                    batch[i] = item;
                    if (quiet.Count > 0)
                        candidates.Add((i, quiet));
                }
                return (batch, candidates);
            })
            .SelectAsync(1, async work =>
            {
                foreach (var (index, users) in work.candidates)
                    work.batch[index] = await ConfirmAsync(work.batch[index], users, profiles, settings, rules, ruleLock, timers, metrics).ConfigureAwait(false);
                return work.batch;
            })
            .SelectMany(batch => batch);
    }

    private static (PipelineItem item, IReadOnlyList<QuietUser> candidates) Observe(PipelineItem item, InactivityTracker timers, RuleBook rules,
        Lock ruleLock, PipelineMetrics metrics)
    {
        if (item.Outcome == Domain.Profile.EventOutcome.Applied && item.Event is { } applied)
            timers.Touch(applied.UserId, applied.Timestamp);
        if (item.Profile is not { } profile)
            return (item, []);
        timers.Observe(profile);
        ProfileAction? onUpdate;
        lock (ruleLock)
            onUpdate = rules.Decide(profile, RuleTrigger.Update, profile.Features.AsOf);
        var candidates = timers.Advance();
        if (onUpdate is not null)
        {
            item = item with { Actions = [onUpdate] };
            metrics.RecordDecisions(0, [onUpdate], timers.Tracked, rules.Capped);
        }
        return (item, candidates);
    }

    /// <summary>The version of the user's profile the entity holds; 0 when it holds none, null when it does not answer in time.</summary>
    private static async Task<long?> CurrentVersionAsync(IActorRef profiles, string userId, TimeSpan timeout)
    {
        try
        {
            var reply = await profiles.Ask<ProfileReply>(new GetProfile(userId), timeout).ConfigureAwait(false);
            return reply.Features?.ProfileVersion ?? 0;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static async Task<PipelineItem> ConfirmAsync(PipelineItem item, IReadOnlyList<QuietUser> candidates, IActorRef profiles,
        DecisionSettings settings, RuleBook rules, Lock ruleLock, InactivityTracker timers, PipelineMetrics metrics)
    {
        var replies = await Task.WhenAll(candidates.Select(c => CurrentVersionAsync(profiles, c.Profile.Features.UserId, settings.ConfirmTimeout)))
            .ConfigureAwait(false);
        var inactive = ImmutableArray.CreateBuilder<ScoredProfile>();
        var actions = ImmutableArray.CreateBuilder<ProfileAction>();
        actions.AddRange(item.Actions);
        var decided = new List<ProfileAction>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var user = candidates[i];
            // The entity is the truth: flag only the version this node saw last. A newer one means the user acted (here or
            // on another node); none means the user was erased, or the entity did not answer (its node died: the flag is
            // skipped and counted rather than the stream failed).
            if (replies[i] != user.Profile.Features.ProfileVersion)
            {
                metrics.RecordInactivityNotConfirmed();
                continue;
            }
            var flagged = user.Profile.AsInactive(user.QuietSince, user.DetectedAt, ChurnRisk.Of(user.Profile.Features, user.DetectedAt, settings.PriorVisitGap));
            inactive.Add(flagged);
            ProfileAction? onQuiet;
            lock (ruleLock)
                onQuiet = rules.Decide(flagged, RuleTrigger.Inactive, user.DetectedAt);
            if (onQuiet is not null)
            {
                actions.Add(onQuiet);
                decided.Add(onQuiet);
            }
        }
        metrics.RecordDecisions(inactive.Count, decided, timers.Tracked, rules.Capped);
        return inactive.Count == 0 && decided.Count == 0 ? item : item with { Inactive = inactive.ToImmutable(), Actions = actions.ToImmutable() };
    }
}
