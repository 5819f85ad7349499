using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// Keeps a node's <see cref="ModelHolder"/> on the serving version: subscribes to the learner's topic and asks the
/// learner once at start (again every 2 s until it answers). The scoring stage reads the holder once per batch, so a
/// new version lands between batches.
/// </summary>
public sealed class ModelSubscriber : ReceiveActor, IWithTimers
{
    private sealed record Ask
    {
        public static readonly Ask Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef learner, ModelHolder models) => Akka.Actor.Props.Create(() => new ModelSubscriber(learner, models));

    public ModelSubscriber(IActorRef learner, ModelHolder models)
    {
        Receive<SubscribeAck>(_ => Self.Tell(Ask.Instance));
        Receive<Ask>(_ =>
        {
            learner.Tell(GetServingModel.Instance);
            Timers.StartSingleTimer("ask", Ask.Instance, TimeSpan.FromSeconds(2));
        });
        Receive<ServingModel>(serving =>
        {
            Timers.Cancel("ask");
            models.Publish(serving.Version?.ToModel() ?? (IPropensityModel)RuleBasedPropensityModel.Instance);
        });
    }

    protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(PropensityLearnerActor.Topic, Self));
}

/// <summary>Hands a node's released labels to the learner singleton through its proxy.</summary>
public sealed class LearnerLabelSink(IActorRef learner) : ILabelSink
{
    public void Publish(IReadOnlyList<Domain.Learning.LabeledExample> labels) => learner.Tell(new LabelsResolved([.. labels]));
}
