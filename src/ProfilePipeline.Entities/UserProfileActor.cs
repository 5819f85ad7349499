using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities.Storage;

namespace ProfilePipeline.Entities;

/// <summary>
/// One user's profile: persists each decided batch as a single journal entry and folds it into the pure
/// <see cref="ProfileState"/>. Snapshots every <see cref="UserProfileSettings.SnapshotEvery"/> applied events
/// bound recovery; sharding passivates the entity when idle. <see cref="EraseProfile"/> records the erasure with the
/// <see cref="ErasureRegistry"/>, deletes every event and snapshot, and from then on refuses events from before it.
/// <see cref="RebuildProfile"/> folds the journal's events afresh, for a change of settings or a republication.
/// <see cref="RecordDecision"/> checks and records inactivity flags and actions in the user's <see cref="DecisionLedger"/>.
/// </summary>
/// <remarks>
/// An untyped persistent actor with plain switches: a receive-style actor builds its handler table per instance,
/// about 500 bytes more per live user (measured with 50,000 actors).
/// </remarks>
public sealed class UserProfileActor : UntypedPersistentActor
{
    private readonly string _userId;
    private readonly UserProfileSettings _settings;
    private readonly Erasures _erasures;
    private ProfileState _state; // replaced by a snapshot during recovery and by erasure; folded into in place otherwise
    private DecisionLedger _ledger = DecisionLedger.Empty();
    private RecentDecisionPoints _recentPoints = new();
    private readonly Action<BehaviorEvent, bool> _takeDecisionPoint; // made once: a lambda made a closure and a delegate for every batch applied
    private ImmutableArray<DecisionPoint>.Builder? _pointsTaken; // the points of the batch being applied
    private long _appliedSinceSnapshot;
    private bool _savingSnapshot;
    private long? _erasedAt;
    private Erasing? _erasing;

    /// <summary>An erasure under way: who asked, its time, and the deletions not yet confirmed.</summary>
    private sealed class Erasing(IActorRef replyTo, long erasedAt, long eventsErased)
    {
        public IActorRef ReplyTo { get; } = replyTo;
        public long ErasedAt { get; } = erasedAt;
        public long EventsErased { get; } = eventsErased;
        public int PendingDeletions { get; set; }
    }

    private sealed record ErasureStepFailed(string Step, Exception Cause);

    /// <summary>A rebuild under way: who asked and the event-time range.</summary>
    private sealed record Rebuilding(IActorRef ReplyTo, RebuildProfile Request);

    private sealed record JournalRead(JournalRange Range);

    private Rebuilding? _rebuilding;

    public static Props Props(string userId, UserProfileSettings settings, Erasures erasures) =>
        Akka.Actor.Props.Create(() => new UserProfileActor(userId, settings, erasures));

    public UserProfileActor(string userId, UserProfileSettings settings, Erasures erasures)
    {
        _userId = userId;
        _settings = settings;
        _erasures = erasures;
        _state = ProfileState.Empty(settings.Profile);
        _takeDecisionPoint = TakeDecisionPoint;
    }

    public override string PersistenceId => "profile-" + _userId;

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: ProfileSnapshot snapshot }:
                _state = ProfileState.FromBytes(snapshot.State, _settings.Profile);
                _ledger = DecisionLedger.FromBytes(snapshot.Ledger);
                _recentPoints = RecentDecisionPoints.FromBytes(_userId, snapshot.RecentPoints);
                break;
            case BehaviorsRecorded recorded:
                ApplyTakingDecisionPoints(recorded); // the entity owns its state: nothing else holds it
                break;
            case LedgerEntry entry:
                _ledger.Apply(entry, _settings.Rules.LongestCapPeriod);
                break;
            case RecoveryCompleted:
                _erasedAt = _erasures.ErasedAt(_userId);
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        if ((_erasing is not null || _rebuilding is not null) && message is IWithUserId)
        {
            Stash.Stash(); // nothing reads or changes the profile while it is being erased or rebuilt
            return;
        }
        switch (message)
        {
            case EraseProfile when _savingSnapshot:
                Stash.Stash(); // a snapshot being written now would survive the deletion: erase once it is done
                break;
            case EraseProfile:
                StartErasure();
                break;
            case ErasureRecorded recorded when _erasing is not null:
                DeleteEverything(recorded);
                break;
            case DeleteMessagesSuccess { ToSequenceNr: long.MaxValue } when _erasing is not null:
                DeletionConfirmed();
                break;
            case DeleteSnapshotsSuccess { Criteria.MaxSequenceNr: long.MaxValue } when _erasing is not null:
                DeletionConfirmed();
                break;
            case DeleteMessagesFailure failure when _erasing is not null:
                FailErasure(new ErasureStepFailed("deleting the journal events", failure.Cause));
                break;
            case DeleteSnapshotsFailure { Criteria.MaxSequenceNr: long.MaxValue } failure when _erasing is not null:
                FailErasure(new ErasureStepFailed("deleting the snapshots", failure.Cause));
                break;
            case ErasureStepFailed failed when _erasing is not null:
                FailErasure(failed);
                break;
            case RebuildProfile when _savingSnapshot:
                Stash.Stash(); // the rebuilt profile's snapshot must not race an older one
                break;
            case RebuildProfile rebuild:
                StartRebuild(rebuild);
                break;
            case JournalRead read when _rebuilding is not null:
                FinishRebuild(read.Range);
                break;
            case Status.Failure failure when _rebuilding is not null:
                _rebuilding.ReplyTo.Tell(new Status.Failure(new InvalidOperationException(
                    $"rebuilding {_userId} failed while reading its journal: {failure.Cause.Message}", failure.Cause)));
                _rebuilding = null;
                Stash.UnstashAll();
                break;
            case RecordBehaviors command:
                Handle(command);
                break;
            case RecordDecision decision:
                Handle(decision);
                break;
            case GetDecisionsSince since:
                var (flag, actions) = _ledger.Since(since.FromRide);
                Sender.Tell(new DecisionsSince(_userId, _state.Version == 0 ? null : _state.Features(_userId), flag ? _ledger.FlaggedVersion : null,
                    _ledger.FlagAt, actions));
                break;
            case GetProfile:
                Sender.Tell(new ProfileReply(_userId, _state.Version == 0 ? null : _state.Features(_userId)));
                break;
            case SaveSnapshotSuccess success:
                _savingSnapshot = false;
                Stash.UnstashAll();
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failure:
                _savingSnapshot = false;
                Stash.UnstashAll();
                Context.GetLogger().Warning(failure.Cause, "Snapshot of {0} failed; recovery replays more events", _userId);
                break;
            case DeleteSnapshotsSuccess:
                break;
            case DeleteSnapshotsFailure failure:
                Context.GetLogger().Warning(failure.Cause, "Deleting old snapshots of {0} failed", _userId);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Handle(RecordBehaviors command)
    {
        var decision = _state.Decide(command.Events, _erasedAt);
        // An event given again comes back with the decision point it took: the label stage may not have kept it (a crash).
        var again = TakenBefore(command.Events, decision.Outcomes);
        if (decision.ToPersist is null)
        {
            Sender.Tell(new BehaviorsAcknowledged(_userId, decision.Outcomes, _state.Features(_userId)) { DecisionPoints = again });
            return;
        }
        var replyTo = Sender;
        Persist(decision.ToPersist, recorded =>
        {
            var decisionPoints = ApplyTakingDecisionPoints(recorded);
            _appliedSinceSnapshot += recorded.Events.Length;
            SnapshotWhenDue();
            replyTo.Tell(new BehaviorsAcknowledged(_userId, decision.Outcomes, _state.Features(_userId)) { DecisionPoints = again.AddRange(decisionPoints) });
        });
    }

    private void SnapshotWhenDue()
    {
        if (_appliedSinceSnapshot < _settings.SnapshotEvery)
            return;
        SaveSnapshot(Snapshot(_state.ToBytes()));
        _savingSnapshot = true;
        _appliedSinceSnapshot = 0;
    }

    private ProfileSnapshot Snapshot(byte[] state) => new(state) { Ledger = _ledger.ToBytes(), RecentPoints = _recentPoints.ToBytes() };

    private void Handle(RecordDecision request)
    {
        var holding = new List<DecisionRule>(request.HoldingRules.Length);
        foreach (var name in request.HoldingRules)
        {
            // A rule this node does not know (the nodes' rule files differ while one is rolled out) is not fired here.
            if (_settings.Rules.Find(name) is { } rule)
                holding.Add(rule);
        }
        var decided = _ledger.Decide(_state.Version, request.FlagVersion, holding, request.At, request.RideOffset);
        var reply = new DecisionReply(_userId, decided.Flagged, decided.Rule?.Name, decided.Capped) { AlreadyFlagged = decided.AlreadyFlagged };
        if (decided.ToRecord(request.FlagVersion, request.At, request.RideOffset, request.Basis) is not { } entry)
        {
            Sender.Tell(reply);
            return;
        }
        var replyTo = Sender;
        Persist(entry, recorded =>
        {
            _ledger.Apply(recorded, _settings.Rules.LongestCapPeriod);
            _appliedSinceSnapshot++;
            SnapshotWhenDue();
            replyTo.Tell(reply);
        });
    }

    /// <summary>The decision points the redelivered events took when they were applied, as far as they are among the recent ones.</summary>
    private ImmutableArray<DecisionPoint> TakenBefore(ImmutableArray<BehaviorEvent> events, ImmutableArray<EventOutcome> outcomes)
    {
        if (_recentPoints.Count == 0)
            return [];
        ImmutableArray<DecisionPoint>.Builder? taken = null;
        for (var i = 0; i < events.Length; i++)
        {
            if (outcomes[i] == EventOutcome.Redelivered && _recentPoints.Find(events[i].EventId) is { } point)
                (taken ??= ImmutableArray.CreateBuilder<DecisionPoint>()).Add(point);
        }
        return taken?.ToImmutable() ?? [];
    }

    /// <summary>
    /// Folds a batch, live or in recovery; each decision point's features are taken right after its event, before any
    /// later one, and kept among the recent ones.
    /// </summary>
    private ImmutableArray<DecisionPoint> ApplyTakingDecisionPoints(BehaviorsRecorded recorded)
    {
        if (_settings.DecisionPoints is null)
        {
            _state.ApplyInPlace(recorded);
            return [];
        }
        _state.ApplyInPlace(recorded, _takeDecisionPoint);
        return _pointsTaken is { Count: > 0 } taken ? taken.DrainToImmutable() : [];
    }

    /// <summary>Right after <paramref name="e"/> is folded: the decision point it is, if any, with the features as of it.</summary>
    private void TakeDecisionPoint(BehaviorEvent e, bool startsSession)
    {
        if (_settings.DecisionPoints!.KindOf(e, startsSession, _recentPoints.NewestAt) is not { } kind)
            return;
        var point = new DecisionPoint(_userId, e.EventId, e.Timestamp, kind, _state.PropensityVector());
        (_pointsTaken ??= ImmutableArray.CreateBuilder<DecisionPoint>(1)).Add(point);
        _recentPoints.Add(point);
    }

    private void StartRebuild(RebuildProfile request)
    {
        _rebuilding = new Rebuilding(Sender, request);
        var journal = Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId);
        JournalReads.ReadAsync(Context.System, journal, PersistenceId, 1, LastSequenceNr, long.MaxValue, TimeSpan.FromSeconds(60))
            .PipeTo(Self, success: range => new JournalRead(range));
    }

    private void FinishRebuild(JournalRange range)
    {
        var (replyTo, request) = _rebuilding!;
        _rebuilding = null;
        var rebuilt = ProfileState.Empty(_settings.Profile);
        long events = 0;
        var inRange = false;
        foreach (var entry in range.Entries)
        {
            if (entry.Payload is not BehaviorsRecorded recorded)
                continue;
            rebuilt.ApplyInPlace(recorded);
            events += recorded.Events.Length;
            foreach (var e in recorded.Events)
                inRange |= e.Timestamp >= request.FromEventTime && e.Timestamp <= request.ToEventTime;
        }
        if (!inRange)
        {
            replyTo.Tell(new ProfileRebuilt(_userId, false, false, events, null));
            Stash.UnstashAll();
            return;
        }
        var bytes = rebuilt.ToBytes();
        var changed = !bytes.AsSpan().SequenceEqual(_state.ToBytes());
        _state = rebuilt;
        if (changed)
        {
            // Recovery starts from the rebuilt profile, not from a snapshot taken with the old settings.
            SaveSnapshot(Snapshot(bytes));
            _savingSnapshot = true;
            _appliedSinceSnapshot = 0;
        }
        replyTo.Tell(new ProfileRebuilt(_userId, true, changed, events, _state.Version == 0 ? null : _state.Features(_userId)));
        Stash.UnstashAll();
    }

    private void StartErasure()
    {
        // At or after the newest event the profile holds, so that every event it was built from is refused later.
        var erasedAt = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Math.Max(_state.Newest ?? 0, _erasedAt ?? 0));
        _erasing = new Erasing(Sender, erasedAt, _state.Version);
        // Recorded first: if a deletion fails, replays are refused all the same, and erasing again finishes the job.
        _erasures.Registry.Ask<ErasureRecorded>(new RecordErasure(_userId, _erasures.KeyFor(_userId), erasedAt), TimeSpan.FromSeconds(30))
            .PipeTo(Self, failure: cause => new ErasureStepFailed("recording the erasure", cause));
    }

    private void DeleteEverything(ErasureRecorded recorded)
    {
        _erasures.Add(new UserErased(_userId, recorded.Key, recorded.ErasedAt));
        _erasedAt = recorded.ErasedAt;
        _state = ProfileState.Empty(_settings.Profile);
        _ledger = DecisionLedger.Empty();
        _recentPoints.Clear();
        _appliedSinceSnapshot = 0;
        _erasing!.PendingDeletions = 2;
        // Sent to the journal directly: DeleteMessages(long.MaxValue) would pass on the last sequence number instead, and
        // deleting up to long.MaxValue is how the journal tells an erasure (nothing of the id kept, not even its highest
        // sequence number) from the deletion of old events.
        Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId).Tell(new DeleteMessagesTo(PersistenceId, long.MaxValue, Self));
        DeleteSnapshots(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue));
    }

    private void DeletionConfirmed()
    {
        if (--_erasing!.PendingDeletions > 0)
            return;
        _erasing.ReplyTo.Tell(new ProfileErased(_userId, _erasing.ErasedAt, _erasing.EventsErased));
        _erasing = null;
        Stash.UnstashAll();
    }

    private void FailErasure(ErasureStepFailed failed)
    {
        Context.GetLogger().Warning(failed.Cause, "Erasing {0} failed while {1}; erasing again finishes it", _userId, failed.Step);
        _erasing!.ReplyTo.Tell(new Status.Failure(new InvalidOperationException($"erasure failed while {failed.Step}: {failed.Cause.Message}", failed.Cause)));
        _erasing = null;
        Stash.UnstashAll();
    }
}
