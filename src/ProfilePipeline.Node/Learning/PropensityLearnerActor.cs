using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Learning;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// The online learner as a cluster singleton: journals the labels it is given and applies them to the
/// <see cref="OnlineLearner"/>, persists what it decides (its journal is the model registry: promoted versions,
/// rejections with their reasons, rollbacks), and publishes the serving version to every node.
/// </summary>
/// <remarks>
/// Nothing it learned is lost to a restart or a move to another node. A delivery of labels is answered once they are
/// journaled, and the learner's whole state (window, standardisation, metrics, candidate in shadow) is snapshotted with
/// the registry every <see cref="LearnerSettings.SnapshotEvery"/> labels, after which the journal before it is deleted.
/// Recovery takes the snapshot and replays the labels and decisions after it: the labels through the learner, the
/// decisions as the registry recorded them (the registry wins where a replayed training differs). Labels come at
/// least once, so the learner remembers the most recent <see cref="LearnerSettings.RememberedLabels"/> decision points
/// and takes each once.
/// </remarks>
public sealed class PropensityLearnerActor : UntypedPersistentActor
{
    public const string Topic = "propensity-models";
    private readonly LearnerSettings _settings;
    private readonly bool _publishToCluster;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ImmutableArray<ModelVersion> _promoted = [];
    private ImmutableArray<ModelRejection> _rejected = [];
    private ImmutableArray<ModelRollback> _rollbacks = [];
    private ModelVersion? _serving;
    private OnlineLearner _learner;
    private RecentFingerprints _recent;
    private int _labelsSinceSnapshot;
    private long _conflictingLabels;

    public PropensityLearnerActor(LearnerSettings settings, bool publishToCluster)
    {
        _settings = settings;
        _publishToCluster = publishToCluster;
        _learner = new OnlineLearner(settings, RuleBasedPropensityModel.Instance);
        _recent = new RecentFingerprints(settings.RememberedLabels);
    }

    public static Props Props(LearnerSettings settings, bool publishToCluster) =>
        Akka.Actor.Props.Create(() => new PropensityLearnerActor(settings, publishToCluster));

    public override string PersistenceId => "propensity-learner";

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: LearnerSnapshot snapshot }:
                (_promoted, _rejected, _rollbacks) = (snapshot.Promoted, snapshot.Rejected, snapshot.Rollbacks);
                _learner = OnlineLearner.From(_settings, RuleBasedPropensityModel.Instance, snapshot.Learner);
                _serving = snapshot.Learner.Serving;
                _recent = new RecentFingerprints(_settings.RememberedLabels, snapshot.RecentPoints, snapshot.RecentPurchased);
                break;
            case LabelsLearned learned:
                Learn(learned); // what it decides is in the journal after it, and applied from there
                break;
            case ModelVersion promoted:
                Apply(promoted);
                _learner.Adopt(promoted);
                break;
            case ModelRejection rejected:
                _rejected = _rejected.Add(rejected);
                _learner.Adopt(rejected);
                break;
            case ModelRollback rollback:
                Apply(rollback);
                _learner.Rollback(_serving!);
                break;
            case RecoveryCompleted:
                if (_learner.LabelsSeen > 0)
                    _log.Info("Learner restored: {0:N0} labels seen, {1} serving", _learner.LabelsSeen, _learner.Current.Version);
                Publish();
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case LabelsResolved resolved:
                var fresh = ImmutableArray.CreateBuilder<LearnedLabel>();
                var conflicting = 0;
                foreach (var label in resolved.Labels.Select(LearnedLabel.Of).DistinctBy(label => label.Point))
                {
                    if (_recent.Find(label.Point) is not { } taken)
                        fresh.Add(label);
                    else if (taken != label.Purchased)
                        conflicting++;
                }
                if (conflicting > 0)
                {
                    // Two nodes labelled the same point differently: one of them released it without seeing a purchase the other saw.
                    _conflictingLabels += conflicting;
                    _log.Warning("{0} labels delivered again with the other label; the first one delivered was kept", conflicting);
                }
                var deliveredBy = Sender;
                if (fresh.Count == 0)
                {
                    deliveredBy.Tell(new LabelsAccepted(resolved.Labels.Length, 0));
                    break;
                }
                Persist(new LabelsLearned(fresh.ToImmutable()), learned =>
                {
                    deliveredBy.Tell(new LabelsAccepted(resolved.Labels.Length, learned.Labels.Length)); // durable now: the stage goes on while this learns
                    foreach (var decided in Learn(learned))
                        Record(decided);
                    _labelsSinceSnapshot += learned.Labels.Length;
                    if (_labelsSinceSnapshot >= _settings.SnapshotEvery)
                        DeferAsync(learned, _ => TakeSnapshot()); // after the decisions just recorded are persisted too
                });
                break;
            case SaveSnapshotSuccess success:
                DeleteMessages(success.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failure:
                _log.Warning(failure.Cause, "Snapshot of the learner failed; a restart replays more labels");
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure or DeleteSnapshotsFailure:
                _log.Warning("Deleting the learner's journal before its snapshot failed: {0}", message);
                break;
            case GetLearnerStatus:
                Sender.Tell(new LearnerStatus(_learner.Current.Version, _serving, _learner.Metrics.Snapshot(), _learner.LabelsSeen, _learner.HasCandidate,
                    _promoted.Length, _rejected.Length)
                {
                    ConflictingLabels = _conflictingLabels,
                });
                break;
            case GetModelHistory:
                Sender.Tell(new ModelHistory(_promoted, _rejected, _rollbacks));
                break;
            case GetServingModel:
                Sender.Tell(new ServingModel(_serving));
                break;
            case RollbackModel rollback:
                if (_promoted.FirstOrDefault(p => p.Number == rollback.Number) is not { } target)
                {
                    Sender.Tell(new Status.Failure(new ArgumentException(
                        $"no promoted version online-v{rollback.Number}; promoted: {string.Join(", ", _promoted.Select(p => p.Name))}")));
                    break;
                }
                var replyTo = Sender;
                Persist(new ModelRollback(target.Number, _learner.Current.Version, _learner.LabelsSeen, DateTimeOffset.UtcNow), rolledBack =>
                {
                    Apply(rolledBack);
                    _learner.Rollback(target);
                    _log.Warning("Propensity model rolled back from {0} to {1} by an operator", rolledBack.From, target.Name);
                    Publish();
                    replyTo.Tell(rolledBack);
                });
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Applies labels to the learner, live or in recovery; gives what it decided.</summary>
    private List<LearnerEvent> Learn(LabelsLearned learned)
    {
        var decided = new List<LearnerEvent>();
        foreach (var label in learned.Labels)
        {
            _recent.Add(label.Point, label.Purchased);
            decided.AddRange(_learner.Observe(label.Features, label.Purchased, label.At));
        }
        return decided;
    }

    private void TakeSnapshot()
    {
        _labelsSinceSnapshot = 0;
        var (points, purchased) = _recent.OldestFirst();
        SaveSnapshot(new LearnerSnapshot(_promoted, _rejected, _rollbacks, _learner.State, points, purchased));
    }

    private void Record(LearnerEvent decided)
    {
        switch (decided)
        {
            case ModelPromoted promoted:
                Persist(promoted.Version, version =>
                {
                    Apply(version);
                    _log.Info("Promoted {0}: shadow AUC {1:F4} against {2}'s {3:F4}, trained on {4} labels", version.Name, version.ShadowAuc,
                        version.Predecessor, version.PredecessorAuc, version.TrainedOn);
                    Publish();
                });
                break;
            case CandidateRejected rejected:
                Persist(rejected.Rejection, rejection =>
                {
                    _rejected = _rejected.Add(rejection);
                    _log.Warning("Not promoted: online-v{0}: {1}", rejection.Number, rejection.Reason);
                });
                break;
        }
    }

    private void Apply(ModelVersion promoted)
    {
        _promoted = _promoted.Add(promoted);
        _serving = promoted;
    }

    private void Apply(ModelRollback rollback) =>
        (_rollbacks, _serving) = (_rollbacks.Add(rollback), _promoted.First(p => p.Number == rollback.To));

    private void Publish()
    {
        if (_publishToCluster)
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topic, new ServingModel(_serving)));
    }
}

/// <summary>
/// The fingerprints of the most recent decision points the learner took, with their labels, at most <c>capacity</c>,
/// oldest forgotten first.
/// </summary>
internal sealed class RecentFingerprints
{
    private readonly int _capacity;
    private readonly Queue<ulong> _order = new();
    private readonly Dictionary<ulong, bool> _labels = [];

    public RecentFingerprints(int capacity, ulong[]? oldestFirst = null, bool[]? purchased = null)
    {
        _capacity = capacity;
        for (var i = 0; i < (oldestFirst?.Length ?? 0); i++)
            Add(oldestFirst![i], purchased?.ElementAtOrDefault(i) ?? false);
    }

    /// <summary>The label the point was taken with, or null if it is not among the recent ones.</summary>
    public bool? Find(ulong point) => _labels.TryGetValue(point, out var purchased) ? purchased : null;

    public void Add(ulong point, bool purchased)
    {
        if (!_labels.TryAdd(point, purchased))
            return;
        _order.Enqueue(point);
        if (_order.Count > _capacity)
            _labels.Remove(_order.Dequeue());
    }

    public (ulong[] Points, bool[] Purchased) OldestFirst() => ([.. _order], [.. _order.Select(p => _labels[p])]);
}
