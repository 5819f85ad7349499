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
/// The online learner as a cluster singleton: applies labels to the <see cref="OnlineLearner"/>, persists what it decides
/// (its journal is the model registry: promoted versions, rejections with their reasons, rollbacks), and publishes the
/// serving version to every node. After a restart the registry is replayed and the last serving version serves again;
/// learning resumes from it (the training window is rebuilt from new labels).
/// </summary>
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
    private OnlineLearner _learner = null!;

    public PropensityLearnerActor(LearnerSettings settings, bool publishToCluster)
    {
        _settings = settings;
        _publishToCluster = publishToCluster;
    }

    public static Props Props(LearnerSettings settings, bool publishToCluster) =>
        Akka.Actor.Props.Create(() => new PropensityLearnerActor(settings, publishToCluster));

    public override string PersistenceId => "propensity-learner";

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case ModelVersion promoted:
                Apply(promoted);
                break;
            case ModelRejection rejected:
                _rejected = _rejected.Add(rejected);
                break;
            case ModelRollback rollback:
                Apply(rollback);
                break;
            case RecoveryCompleted:
                var lastNumber = Math.Max(_promoted.IsEmpty ? 0 : _promoted.Max(p => p.Number), _rejected.IsEmpty ? 0 : _rejected.Max(r => r.Number));
                _learner = new OnlineLearner(_settings, RuleBasedPropensityModel.Instance, _serving, lastNumber);
                Publish();
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case LabelsResolved resolved:
                foreach (var label in resolved.Labels)
                {
                    foreach (var decided in _learner.Observe(label))
                        Record(decided);
                }
                break;
            case GetLearnerStatus:
                Sender.Tell(new LearnerStatus(_learner.Current.Version, _serving, _learner.Metrics.Snapshot(), _learner.LabelsSeen, _learner.HasCandidate,
                    _promoted.Length, _rejected.Length));
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
