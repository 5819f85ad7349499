using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Persistence;

namespace ProfilePipeline.Entities;

/// <summary>
/// Every erasure ever made, as erasure keys and times: a cluster singleton, persisted in the same journal as the
/// profiles. It answers <see cref="GetErasures"/> for a node's <see cref="ErasureList"/> at start and publishes each new
/// erasure to the <see cref="Topic"/> so that every node's list learns it at once.
/// </summary>
public sealed class ErasureRegistry : UntypedPersistentActor
{
    public const string Topic = "profile-erasures";
    private readonly bool _publishToCluster;
    private ImmutableDictionary<string, long> _erasures = ImmutableDictionary<string, long>.Empty;

    public ErasureRegistry(bool publishToCluster) => _publishToCluster = publishToCluster;

    public static Props Props(bool publishToCluster) => Akka.Actor.Props.Create(() => new ErasureRegistry(publishToCluster));

    public override string PersistenceId => "erasure-registry";

    protected override void OnRecover(object message)
    {
        if (message is ErasureRecorded recorded)
            _erasures = _erasures.SetItem(recorded.Key, recorded.ErasedAt);
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case RecordErasure record:
                var replyTo = Sender;
                Persist(new ErasureRecorded(record.Key, record.ErasedAt), recorded =>
                {
                    _erasures = _erasures.SetItem(recorded.Key, recorded.ErasedAt);
                    if (_publishToCluster)
                    {
                        DistributedPubSub.Get(Context.System).Mediator.Tell(
                            new Publish(Topic, new UserErased(record.UserId, record.Key, record.ErasedAt)));
                    }
                    replyTo.Tell(recorded);
                });
                break;
            case GetErasures:
                Sender.Tell(new ErasureSet(_erasures));
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
