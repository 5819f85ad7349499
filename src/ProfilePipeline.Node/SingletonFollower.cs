using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ProfilePipeline.Node;

/// <summary>
/// Keeps a node in step with what a cluster singleton serves (the propensity model, the segmentation): subscribes to the
/// singleton's pub-sub topic, and asks the singleton once at start (again every 2 s until it answers), so that a node
/// that joins after the last publication still gets it. Every <typeparamref name="TServed"/> is handed to <c>apply</c>.
/// </summary>
public sealed class SingletonFollower<TServed> : ReceiveActor, IWithTimers
{
    private sealed record Ask
    {
        public static readonly Ask Instance = new();
    }

    private readonly string _topic;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string topic, IActorRef singleton, object question, Action<TServed> apply) =>
        Akka.Actor.Props.Create(() => new SingletonFollower<TServed>(topic, singleton, question, apply));

    public SingletonFollower(string topic, IActorRef singleton, object question, Action<TServed> apply)
    {
        _topic = topic;
        Receive<SubscribeAck>(_ => Self.Tell(Ask.Instance));
        Receive<Ask>(_ =>
        {
            singleton.Tell(question);
            Timers.StartSingleTimer("ask", Ask.Instance, TimeSpan.FromSeconds(2));
        });
        Receive<TServed>(served =>
        {
            Timers.Cancel("ask");
            apply(served);
        });
    }

    protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(_topic, Self));
}
