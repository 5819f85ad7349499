using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities;

/// <summary>
/// One user's profile: persists each decided batch as a single journal entry and folds it into the pure
/// <see cref="ProfileState"/>. Snapshots every <see cref="UserProfileSettings.SnapshotEvery"/> applied events
/// bound recovery; sharding passivates the entity when idle.
/// </summary>
public sealed class UserProfileActor : ReceivePersistentActor
{
    private readonly string _userId;
    private readonly UserProfileSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ProfileState _state;
    private long _appliedSinceSnapshot;

    public static Props Props(string userId, UserProfileSettings settings) =>
        Akka.Actor.Props.Create(() => new UserProfileActor(userId, settings));

    public UserProfileActor(string userId, UserProfileSettings settings)
    {
        _userId = userId;
        _settings = settings;
        _state = ProfileState.Empty(settings.Profile);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ProfileSnapshot snapshot)
                _state = ProfileState.FromBytes(snapshot.State, _settings.Profile);
        });
        Recover<BehaviorsRecorded>(recorded => _state.ApplyInPlace(recorded));

        Command<RecordBehaviors>(Handle);
        Command<GetProfile>(_ => Sender.Tell(new ProfileReply(_userId, _state.Version == 0 ? null : _state.Features(_userId))));
        Command<SaveSnapshotSuccess>(success =>
            DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failure => _log.Warning(failure.Cause, "Snapshot of {0} failed; recovery replays more events", _userId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failure => _log.Warning(failure.Cause, "Deleting old snapshots of {0} failed", _userId));
    }

    public override string PersistenceId => "profile-" + _userId;

    private void Handle(RecordBehaviors command)
    {
        var decision = _state.Decide(command.Events);
        if (decision.ToPersist is null)
        {
            Sender.Tell(new BehaviorsAcknowledged(_userId, decision.Outcomes, _state.Features(_userId)));
            return;
        }
        var replyTo = Sender;
        Persist(decision.ToPersist, recorded =>
        {
            _state.ApplyInPlace(recorded); // the entity owns its state: nothing else holds it
            _appliedSinceSnapshot += recorded.Events.Length;
            if (_appliedSinceSnapshot >= _settings.SnapshotEvery)
            {
                SaveSnapshot(new ProfileSnapshot(_state.ToBytes()));
                _appliedSinceSnapshot = 0;
            }
            replyTo.Tell(new BehaviorsAcknowledged(_userId, decision.Outcomes, _state.Features(_userId)));
        });
    }
}
