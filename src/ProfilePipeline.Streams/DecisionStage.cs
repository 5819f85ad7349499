using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;
using ProfilePipeline.Kafka;

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
    /// <summary>How the stage asks the users' entities and the partitions' timer indexes: again after a timeout, as they may be moving.</summary>
    public AskPolicy Asks { get; init; } = AskPolicy.Default;

    /// <summary>A partition with no record for this long (processing time) stops holding the watermark back.</summary>
    public TimeSpan IdlePartitionAfter { get; init; } = PartitionWatermarks.DefaultIdleAfter;
}

/// <summary>The actors the decision stage asks: the users' entities, and the partitions' durable timer indexes.</summary>
public sealed record DecisionActors(IActorRef Profiles, IActorRef TimerIndex);

/// <summary>
/// After scoring, in batches: each applied event moves its user's inactivity timer (a user's first is persisted in the
/// partition's durable timer index before the batch moves on), and each profile update is given to the update rules.
/// When the watermark passes a timer, the user's entity is asked: if it holds a newer event the timer is moved (the
/// user acted on another node, or before a restart); otherwise its profile is scored and flagged inactive, with a
/// churn risk, and given to the inactivity rules. Whether a flag is new and which rule may fire under its cap is
/// decided and persisted by the user's entity (<see cref="RecordDecision"/>), with the record the decision is
/// published with, so caps and flags hold across restarts and nodes. The partition's index then marks the users
/// with that record: when a node loads a partition from before it (a crash cut the outputs after the checkpoint or
/// commit), those users' decisions are published again. A flag and its action ride on the batch's last record of the
/// user's partition; an update's action on the update's record.
/// </summary>
public static class DecisionStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(DecisionSettings settings, DecisionActors actors, Func<ProfileFeatures, ScoredProfile> score,
        PipelineMetrics metrics, PartitionAssignments? assignments = null, int maxBatch = 500) =>
        Flow.Create<PipelineItem>()
            .Batch(maxBatch, item => new List<PipelineItem> { item }, (list, item) => { list.Add(item); return list; })
            .SelectAsync(1, new Decider(settings, actors, score, metrics, assignments).DecideAsync)
            .SelectMany(batch => batch);

    /// <summary>The stage's state for one graph run: the timers in memory and the partitions loaded from their index.</summary>
    private sealed class Decider(DecisionSettings settings, DecisionActors actors, Func<ProfileFeatures, ScoredProfile> score, PipelineMetrics metrics,
        PartitionAssignments? assignments)
    {
        private readonly InactivityTracker _timers = new(settings.InactiveAfter, settings.WatermarkLateness, settings.MaxTrackedUsers, settings.IdlePartitionAfter);
        private readonly RuleBook _rules = new(settings.Rules);
        private readonly PartitionsMet _loadedPartitions = new(assignments);
        private readonly long _gap = (long)settings.InactiveAfter.TotalMilliseconds;

        /// <summary>Actions published again in this run (user, rule, time): a replayed record that decides one of them again does not publish it twice.</summary>
        private readonly HashSet<(string User, string Rule, long At)> _republished = [];

        /// <summary>What one batch changes in the partitions' indexes: timers armed, users marked, users flagged.</summary>
        private sealed class IndexChanges
        {
            private readonly Dictionary<string, (List<ArmedTimer> Armed, HashSet<string> Marked, List<string> Flagged)> _byPartition = new(StringComparer.Ordinal);

            private (List<ArmedTimer> Armed, HashSet<string> Marked, List<string> Flagged) Of(string partition)
            {
                if (!_byPartition.TryGetValue(partition, out var changes))
                    _byPartition[partition] = changes = ([], new HashSet<string>(StringComparer.Ordinal), []);
                return changes;
            }

            public void Arm(string partition, ArmedTimer timer) => Of(partition).Armed.Add(timer);

            public void Mark(string partition, string userId) => Of(partition).Marked.Add(userId);

            public void Flag(string partition, string userId) => Of(partition).Flagged.Add(userId);

            public IEnumerable<UpdateTimers> Updates(List<PipelineItem> batch) => _byPartition.Select(p =>
                new UpdateTimers(p.Key, [.. p.Value.Armed], [.. p.Value.Marked], [.. p.Value.Flagged], RideOffset(batch, p.Key)));
        }

        public async Task<List<PipelineItem>> DecideAsync(List<PipelineItem> batch)
        {
            var before = new IndexChanges();
            var decided = new List<ProfileAction>();
            var now = Environment.TickCount64;
            _loadedPartitions.ApplyChanges(_timers, now); // a partition's new owner flags its users from the partition's index
            await LoadPartitionsAsync(batch, before, decided).ConfigureAwait(false);
            var updates = new List<(int Index, ScoredProfile Profile, ImmutableArray<DecisionRule> Holding)>();
            for (var i = 0; i < batch.Count; i++)
            {
                var item = batch[i];
                // The watermark follows the event times of the records read; the profile's time only moves the user's timer. A
                // record read again after a crash carries its user's profile as the entity holds it, which may be well past
                // the records read so far (the entities kept what the crash cut from the checkpoint), while another user's
                // events up to there are still to be read again or, if the crash cut them first, for the first time.
                if (item.Event is { } e && item.Outcome is EventOutcome.Applied or EventOutcome.Redelivered)
                    Touch(e.UserId, item.Input.SourceId, e.Timestamp, now, before);
                if (item.Profile is not { } profile)
                    continue;
                Arm(profile.Features.UserId, item.Input.SourceId, profile.Features.AsOf, before);
                var holding = _rules.Holding(profile, RuleTrigger.Update);
                if (holding.IsEmpty)
                    continue;
                updates.Add((i, profile, holding));
                before.Mark(item.Input.SourceId, profile.Features.UserId);
            }
            var flags = await QuietUsersToFlagAsync(_timers.Advance(), batch, before).ConfigureAwait(false);
            // Persisted before anything is decided, and so before the batch moves on (before any of its offsets is committed):
            // a restart finds every timer, and the users whose decisions a crash may cut from the outputs.
            await Task.WhenAll(before.Updates(batch).Select(WriteAsync)).ConfigureAwait(false);

            var updateReplies = updates.Select(u => DecideAsync(u.Profile, null, u.Holding, u.Profile.Features.AsOf, batch[u.Index].Input.Offset)).ToList();
            var flagReplies = flags.Select(f => DecideAsync(f.Profile, f.Version, f.Holding, f.User.DetectedAt, f.Ride)).ToList();
            long capped = 0;
            for (var u = 0; u < updates.Count; u++)
            {
                var (index, profile, _) = updates[u];
                var answer = await updateReplies[u].ConfigureAwait(false);
                capped += answer.Capped;
                if (answer.Rule is not null && _rules.Find(answer.Rule) is { } rule && !_republished.Contains((profile.Features.UserId, rule.Name, profile.Features.AsOf)))
                {
                    var action = new ProfileAction(profile.Features.UserId, rule.Action, rule.Name, RuleTrigger.Update, profile.Features.AsOf, profile);
                    batch[index] = batch[index] with { Actions = batch[index].Actions.Add(action) };
                    decided.Add(action);
                }
            }
            var after = new IndexChanges();
            var flagged = 0;
            for (var f = 0; f < flags.Count; f++)
            {
                var (user, profile, _, _, carrier, _) = flags[f];
                var answer = await flagReplies[f].ConfigureAwait(false);
                capped += answer.Capped;
                if (!answer.Flagged)
                {
                    metrics.RecordInactivityNotConfirmed(); // flagged already (another timer), or it moved on
                    if (answer.AlreadyFlagged)
                        after.Flag(user.Partition, user.UserId);
                    continue;
                }
                var action = answer.Rule is not null && _rules.Find(answer.Rule) is { } rule
                    ? new ProfileAction(user.UserId, rule.Action, rule.Name, RuleTrigger.Inactive, user.DetectedAt, profile)
                    : null;
                batch[carrier] = batch[carrier] with
                {
                    Inactive = batch[carrier].Inactive.Add(profile),
                    Actions = action is null ? batch[carrier].Actions : batch[carrier].Actions.Add(action),
                };
                if (action is not null)
                    decided.Add(action);
                after.Flag(user.Partition, user.UserId);
                flagged++;
            }
            // Flagged users need no timer: marked so, they are dropped once their flag's record is durable.
            await Task.WhenAll(after.Updates(batch).Select(WriteAsync)).ConfigureAwait(false);
            metrics.RecordDecisions(flagged, decided, _timers.Tracked, capped);
            return batch;
        }

        /// <summary>A partition's changes, in pieces that cross nodes, one after the other (each piece's order matters).</summary>
        private async Task WriteAsync(UpdateTimers update)
        {
            foreach (var piece in update.InPieces())
                await AskAsync<TimersUpdated>(actors.TimerIndex, piece).ConfigureAwait(false);
        }

        private void Touch(string userId, string partition, long eventTime, long now, IndexChanges changes)
        {
            if (_timers.Touch(userId, partition, eventTime, now))
                changes.Arm(partition, new ArmedTimer(userId, eventTime));
        }

        /// <summary>Moves the user's timer to <paramref name="lastActivity"/> without moving the watermark; a new timer goes to the index.</summary>
        private void Arm(string userId, string partition, long lastActivity, IndexChanges changes)
        {
            if (_timers.Arm(userId, partition, lastActivity))
                changes.Arm(partition, new ArmedTimer(userId, lastActivity));
        }

        /// <summary>The record of the batch a partition's flags ride on: its last one of the partition, else the batch's last.</summary>
        private static int Carrier(List<PipelineItem> batch, string partition) =>
            batch.FindLastIndex(item => item.Input.SourceId == partition) is var last and >= 0 ? last : batch.Count - 1;

        /// <summary>The offset in <paramref name="partition"/> that the batch's decisions for it are durable with; unknown (never) without a record of it.</summary>
        private static long RideOffset(List<PipelineItem> batch, string partition) =>
            batch[Carrier(batch, partition)].Input is var carrier && carrier.SourceId == partition ? carrier.Offset : long.MaxValue;

        /// <summary>The user's current profile, scored now and flagged inactive as noticed at watermark <paramref name="at"/>.</summary>
        private ScoredProfile FlaggedAt(ProfileFeatures features, long at) =>
            score(features).AsInactive(features.AsOf + _gap, at, ChurnRisk.Of(features, at, settings.PriorVisitGap));

        /// <summary>
        /// The first time a partition's record comes by in this run, its durable timers are armed again; its offset is
        /// where this run reads the partition from (everything before is checkpointed or committed). Decisions published
        /// with a record from there on may have been cut by a crash, and are published again on this batch. A partition
        /// the input finds with nothing to read (taken over at its end) has its timers armed then, with every publication
        /// settled (<see cref="PartitionsMet.AtItsEnd"/>: all its records are committed), so that its users who go quiet
        /// are flagged without a record of the partition coming by.
        /// </summary>
        private async Task LoadPartitionsAsync(List<PipelineItem> batch, IndexChanges changes, List<ProfileAction> decided)
        {
            // The first record of each partition new to this run (taken first: republishing changes the batch's records).
            foreach (var (partition, start) in _loadedPartitions.TakeNew(batch))
            {
                var stored = await settings.Asks.AskPagesAsync<PartitionTimers, ArmedTimer>(actors.TimerIndex,
                    after => new GetPartitionTimers(partition, start) { After = after }, page => (page.Timers, page.Next),
                    metrics.RecordStageAskRetried).ConfigureAwait(false);
                foreach (var timer in stored.Where(t => !t.Flagged))
                    _timers.Arm(timer.UserId, partition, timer.LastActivity);
                metrics.RecordTimersRestored(stored.Count(t => !t.Flagged));
                var again = await Task.WhenAll(stored.Where(t => t.PublishedWith >= start)
                    .Select(t => AskAsync<DecisionsSince>(actors.Profiles, new GetDecisionsSince(t.UserId, start)))).ConfigureAwait(false);
                foreach (var since in again)
                    Republish(batch, partition, since, changes, decided);
            }
        }

        private void Republish(List<PipelineItem> batch, string partition, DecisionsSince since, IndexChanges changes, List<ProfileAction> decided)
        {
            if (since.Features is not { } features)
                return; // erased since
            var at = Carrier(batch, partition);
            var profile = score(features);
            var flagged = false;
            if (since.FlaggedVersion == features.ProfileVersion)
            {
                // Still the flagged version (a newer one would have been published after it): the flag is published again.
                profile = FlaggedAt(features, since.FlagAt);
                batch[at] = batch[at] with { Inactive = batch[at].Inactive.Add(profile) };
                flagged = true;
            }
            foreach (var past in since.Actions)
            {
                if (_rules.Find(past.Rule) is not { } rule)
                    continue;
                var action = new ProfileAction(features.UserId, rule.Action, rule.Name, rule.On, past.At, past.Basis.On(profile));
                batch[at] = batch[at] with { Actions = batch[at].Actions.Add(action) };
                decided.Add(action);
                _republished.Add((features.UserId, rule.Name, past.At));
            }
            if (!flagged && since.Actions.IsEmpty)
                return; // the flag is stale (a newer version was published after it): settled at the next load
            changes.Mark(partition, features.UserId);
            if (flagged)
                changes.Flag(partition, features.UserId);
            metrics.RecordDecisionsRepublished();
        }

        private Task<DecisionReply> DecideAsync(ScoredProfile profile, long? flagVersion, ImmutableArray<DecisionRule> holding, long at, long ride) =>
            AskAsync<DecisionReply>(actors.Profiles,
                new RecordDecision(profile.Features.UserId, flagVersion, [.. holding.Select(r => r.Name)], at, ride, DecisionBasis.Of(profile)));

        /// <summary>Every request of this stage gets the same answer when asked again.</summary>
        private Task<T> AskAsync<T>(IActorRef actor, object message) => settings.Asks.AskAsync<T>(actor, message, metrics.RecordStageAskRetried);

        /// <summary>A quiet user to flag: the flagged profile, the rules that hold for it, and the record it rides on.</summary>
        private sealed record FlagCandidate(QuietUser User, ScoredProfile Profile, long Version, ImmutableArray<DecisionRule> Holding, int Carrier, long Ride);

        /// <summary>
        /// Asks the quiet users' entities for their profiles: a user who acted since gets the timer back, an erased one is
        /// dropped, the others are to be flagged (marked in <paramref name="changes"/>).
        /// </summary>
        private async Task<List<FlagCandidate>> QuietUsersToFlagAsync(IReadOnlyList<QuietUser> quiet, List<PipelineItem> batch, IndexChanges changes)
        {
            var candidates = new List<FlagCandidate>();
            if (quiet.Count == 0)
                return candidates;
            var current = await Task.WhenAll(quiet.Select(q => AskAsync<ProfileReply>(actors.Profiles, new GetProfile(q.UserId)))).ConfigureAwait(false);
            var disarm = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            for (var i = 0; i < quiet.Count; i++)
            {
                var user = quiet[i];
                if (current[i].Features is not { } features)
                {
                    metrics.RecordInactivityNotConfirmed(); // erased
                    if (!disarm.TryGetValue(user.Partition, out var users))
                        disarm[user.Partition] = users = [];
                    users.Add(user.UserId);
                    continue;
                }
                if (features.AsOf + _gap > user.DetectedAt)
                {
                    _timers.Arm(user.UserId, user.Partition, features.AsOf); // the user acted since: on another node, or before a restart
                    continue;
                }
                var profile = FlaggedAt(features, user.DetectedAt);
                candidates.Add(new FlagCandidate(user, profile, features.ProfileVersion, _rules.Holding(profile, RuleTrigger.Inactive),
                    Carrier(batch, user.Partition), RideOffset(batch, user.Partition)));
                changes.Mark(user.Partition, user.UserId);
            }
            foreach (var (partition, users) in disarm)
                actors.TimerIndex.Tell(new DisarmTimers(partition, [.. users]));
            return candidates;
        }
    }
}
