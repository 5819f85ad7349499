using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ProfilePipeline.Entities;

/// <summary>
/// Keeps a node's <see cref="Erasures"/> current: subscribes to the registry's topic, then asks the registry for every
/// erasure (again every second until it answers: the singleton may still be starting).
/// </summary>
public sealed class ErasureListSubscriber : ReceiveActor, IWithTimers
{
    private sealed record Retry
    {
        public static readonly Retry Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Erasures erasures) => Akka.Actor.Props.Create(() => new ErasureListSubscriber(erasures));

    public ErasureListSubscriber(Erasures erasures)
    {
        Receive<SubscribeAck>(_ => Self.Tell(Retry.Instance));
        Receive<Retry>(_ =>
        {
            erasures.Registry.Tell(GetErasures.Instance);
            Timers.StartSingleTimer("retry", Retry.Instance, TimeSpan.FromSeconds(1));
        });
        Receive<ErasureSet>(set =>
        {
            Timers.Cancel("retry");
            erasures.Load(set);
        });
        Receive<UserErased>(erasures.Add);
    }

    protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(ErasureRegistry.Topic, Self));
}
