using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Streams;

/// <summary>What the decision stage does: inactivity timers, churn risk, and the rules.</summary>
/// <param name="InactiveAfter">Event time without an event of a user before the user is found inactive.</param>
/// <param name="WatermarkLateness">How far behind the newest event time the watermark stays.</param>
/// <param name="PriorVisitGap">The gap between visits assumed for a user with one visit (<see cref="ChurnRisk"/>).</param>
/// <param name="MaxTrackedUsers">Users with a pending inactivity timer in memory, at most.</param>
public sealed record DecisionSettings(
    TimeSpan InactiveAfter,
    TimeSpan WatermarkLateness,
    TimeSpan PriorVisitGap,
    int MaxTrackedUsers,
    ImmutableArray<DecisionRule> Rules)
{
    /// <summary>How long the user's entity, or a partition's timer index, may take to answer.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The actors the decision stage asks: the users' entities, and the partitions' durable timer indexes.</summary>
public sealed record DecisionActors(IActorRef Profiles, IActorRef TimerIndex);

/// <summary>
/// After scoring, in batches: each applied event moves its user's inactivity timer (a user's first is persisted in the
/// partition's durable timer index before the batch moves on), and each profile update is given to the update rules.
/// When the watermark passes a timer, the user's entity is asked: if it holds a newer event the timer is moved (the
/// user acted on another node, or before a restart); otherwise its profile is scored and flagged inactive, with a
/// churn risk, and given to the inactivity rules. Whether a flag is new and which rule may fire under its cap is
/// decided and persisted by the user's entity (<see cref="RecordDecision"/>), so caps and flags hold across restarts
/// and nodes. A flag and its action ride on the batch's last record of the user's partition.
/// </summary>
public static class DecisionStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(DecisionSettings settings, DecisionActors actors, Func<ProfileFeatures, ScoredProfile> score,
        PipelineMetrics metrics, int maxBatch = 500) =>
        Flow.Create<PipelineItem>()
            .Batch(maxBatch, item => new List<PipelineItem> { item }, (list, item) => { list.Add(item); return list; })
            .SelectAsync(1, new Decider(settings, actors, score, metrics).DecideAsync)
            .SelectMany(batch => batch);

    /// <summary>The stage's state for one graph run: the timers in memory and the partitions loaded from their index.</summary>
    private sealed class Decider(DecisionSettings settings, DecisionActors actors, Func<ProfileFeatures, ScoredProfile> score, PipelineMetrics metrics)
    {
        private readonly InactivityTracker _timers = new(settings.InactiveAfter, settings.WatermarkLateness, settings.MaxTrackedUsers);
        private readonly RuleBook _rules = new(settings.Rules);
        private readonly Dictionary<string, long> _startOffsets = new(StringComparer.Ordinal);

        /// <summary>
        /// Users restored from the index in this run and not yet decided: if their entity says their version was flagged
        /// already, the flag's output may have been cut by a crash (its record is read again, or the index did not learn
        /// of the flag), and it is published again: at least once.
        /// </summary>
        private readonly HashSet<string> _restored = new(StringComparer.Ordinal);

        public async Task<List<PipelineItem>> DecideAsync(List<PipelineItem> batch)
        {
            await LoadPartitionsAsync(batch).ConfigureAwait(false);
            var armed = new Dictionary<string, List<ArmedTimer>>(StringComparer.Ordinal);
            var updates = new List<(int Index, ScoredProfile Profile, Task<DecisionReply?> Reply)>();
            for (var i = 0; i < batch.Count; i++)
            {
                var item = batch[i];
                if (item.Outcome == EventOutcome.Applied && item.Event is { } e)
                    Touch(e.UserId, item.Position.SourceId, e.Timestamp, armed);
                if (item.Profile is not { } profile)
                    continue;
                Touch(profile.Features.UserId, item.Position.SourceId, profile.Features.AsOf, armed);
                var holding = _rules.Holding(profile, RuleTrigger.Update);
                if (!holding.IsEmpty)
                    updates.Add((i, profile, DecideAsync(profile.Features.UserId, null, holding, profile.Features.AsOf)));
            }
            // Persisted before the batch moves on, so before any of its offsets is committed: a restart finds every timer.
            await Task.WhenAll(armed.Select(p => actors.TimerIndex.Ask<TimersArmed>(new ArmTimers(p.Key, [.. p.Value]), settings.AskTimeout)))
                .ConfigureAwait(false);
            var decided = new List<ProfileAction>();
            long capped = 0;
            foreach (var (index, profile, reply) in updates)
            {
                if (await reply.ConfigureAwait(false) is not { } answer)
                    continue;
                capped += answer.Capped;
                if (answer.Rule is not null && _rules.Find(answer.Rule) is { } rule)
                {
                    var action = new ProfileAction(profile.Features.UserId, rule.Action, rule.Name, RuleTrigger.Update, profile.Features.AsOf, profile);
                    batch[index] = batch[index] with { Actions = batch[index].Actions.Add(action) };
                    decided.Add(action);
                }
            }
            var (flagged, onQuiet, quietCapped) = await FlagQuietUsersAsync(_timers.Advance(), batch).ConfigureAwait(false);
            decided.AddRange(onQuiet);
            metrics.RecordDecisions(flagged, decided, _timers.Tracked, capped + quietCapped);
            return batch;
        }

        private void Touch(string userId, string partition, long eventTime, Dictionary<string, List<ArmedTimer>> armed)
        {
            if (!_timers.Touch(userId, partition, eventTime))
                return;
            if (!armed.TryGetValue(partition, out var list))
                armed[partition] = list = [];
            list.Add(new ArmedTimer(userId, eventTime));
        }

        /// <summary>
        /// The first time a partition's record comes by in this run, its durable timers are armed again; its offset is
        /// where this run reads the partition from (everything before is checkpointed or committed).
        /// </summary>
        private async Task LoadPartitionsAsync(List<PipelineItem> batch)
        {
            foreach (var item in batch)
            {
                var partition = item.Position.SourceId;
                if (!_startOffsets.TryAdd(partition, item.Position.Offset))
                    continue;
                var stored = await actors.TimerIndex.Ask<PartitionTimers>(new GetPartitionTimers(partition, item.Position.Offset), settings.AskTimeout)
                    .ConfigureAwait(false);
                foreach (var timer in stored.Timers)
                {
                    _timers.Arm(timer.UserId, partition, timer.LastActivity);
                    _restored.Add(timer.UserId);
                }
                metrics.RecordTimersRestored(stored.Timers.Length);
            }
        }

        private async Task<DecisionReply?> DecideAsync(string userId, long? flagVersion, ImmutableArray<DecisionRule> holding, long at)
        {
            try
            {
                return await actors.Profiles.Ask<DecisionReply>(new RecordDecision(userId, flagVersion, [.. holding.Select(r => r.Name)], at), settings.AskTimeout)
                    .ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                metrics.RecordDecisionUnanswered();
                return null;
            }
        }

        /// <summary>The entity's current profile; null when it holds none, or did not answer in time.</summary>
        private async Task<(bool Answered, ProfileFeatures? Features)> CurrentAsync(string userId)
        {
            try
            {
                var reply = await actors.Profiles.Ask<ProfileReply>(new GetProfile(userId), settings.AskTimeout).ConfigureAwait(false);
                return (true, reply.Features);
            }
            catch (AskTimeoutException)
            {
                return (false, null);
            }
        }

        /// <summary>Flags the quiet users the entities confirm, on the batch's records; returns how many, the actions taken, and the caps that held.</summary>
        private async Task<(int Flagged, List<ProfileAction> Actions, long Capped)> FlagQuietUsersAsync(
            IReadOnlyList<QuietUser> quiet, List<PipelineItem> batch)
        {
            if (quiet.Count == 0)
                return (0, [], 0);
            var current = await Task.WhenAll(quiet.Select(q => CurrentAsync(q.UserId))).ConfigureAwait(false);
            var flags = new List<(QuietUser User, ScoredProfile Flagged, ImmutableArray<DecisionRule> Holding, Task<DecisionReply?> Reply)>();
            var disarm = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            for (var i = 0; i < quiet.Count; i++)
            {
                var user = quiet[i];
                var (answered, features) = current[i];
                if (!answered)
                {
                    // Its node died: counted, and left in the durable index, so that the next start of the partition tries again.
                    metrics.RecordInactivityNotConfirmed();
                    continue;
                }
                if (features is not null && features.AsOf + (long)settings.InactiveAfter.TotalMilliseconds > user.DetectedAt)
                {
                    _timers.Arm(user.UserId, user.Partition, features.AsOf); // the user acted since: on another node, or before a restart
                    continue;
                }
                if (features is null)
                {
                    metrics.RecordInactivityNotConfirmed(); // erased
                    Disarm(disarm, user);
                    continue;
                }
                var quietSince = features.AsOf + (long)settings.InactiveAfter.TotalMilliseconds;
                var flagged = score(features).AsInactive(quietSince, user.DetectedAt, ChurnRisk.Of(features, user.DetectedAt, settings.PriorVisitGap));
                var holding = _rules.Holding(flagged, RuleTrigger.Inactive);
                flags.Add((user, flagged, holding, DecideAsync(user.UserId, features.ProfileVersion, holding, user.DetectedAt)));
            }
            var published = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var actions = new List<ProfileAction>();
            long capped = 0;
            foreach (var (user, flagged, _, reply) in flags)
            {
                if (await reply.ConfigureAwait(false) is not { } answer)
                    continue; // left in the index, as above
                capped += answer.Capped;
                // A repeat is published again only for a user restored in this run (see _restored); otherwise another timer of
                // the user (another node's) flagged it already.
                var republish = _restored.Remove(user.UserId) && answer.Repeat;
                if (!answer.Flagged && !republish)
                {
                    metrics.RecordInactivityNotConfirmed(); // flagged already, or it moved on
                    if (answer.Repeat)
                        Disarm(disarm, user);
                    continue;
                }
                // The flag rides on the batch's last record of the user's partition (the last record when the batch has none of it).
                var carrier = batch.FindLastIndex(item => item.Position.SourceId == user.Partition);
                var at = carrier < 0 ? batch.Count - 1 : carrier;
                var action = answer.Rule is not null && _rules.Find(answer.Rule) is { } rule
                    ? new ProfileAction(user.UserId, rule.Action, rule.Name, RuleTrigger.Inactive, user.DetectedAt, flagged)
                    : null;
                batch[at] = batch[at] with
                {
                    Inactive = batch[at].Inactive.Add(flagged),
                    Actions = action is null ? batch[at].Actions : batch[at].Actions.Add(action),
                };
                if (action is not null)
                    actions.Add(action);
                if (!published.TryGetValue(user.Partition, out var users))
                    published[user.Partition] = users = [];
                users.Add(user.UserId);
            }
            foreach (var (partition, users) in disarm)
                actors.TimerIndex.Tell(new DisarmTimers(partition, [.. users]));
            // Kept in the index with the offset of the record the flags rode on: their output is durable once that record is
            // checkpointed or committed. With another partition's record, that is unknown: never taken as durable.
            // Persisted before the batch moves on: a flag whose output a crash cuts is then found flagged with a record read again.
            await Task.WhenAll(published.Select(p =>
            {
                var carrier = batch.FindLastIndex(item => item.Position.SourceId == p.Key);
                return actors.TimerIndex.Ask<TimersFlagged>(new MarkFlagged(p.Key, [.. p.Value], carrier < 0 ? long.MaxValue : batch[carrier].Position.Offset),
                    settings.AskTimeout);
            })).ConfigureAwait(false);
            return (published.Values.Sum(u => u.Count), actions, capped);
        }

        private static void Disarm(Dictionary<string, List<string>> disarm, QuietUser user)
        {
            if (!disarm.TryGetValue(user.Partition, out var list))
                disarm[user.Partition] = list = [];
            list.Add(user.UserId);
        }
    }
}
