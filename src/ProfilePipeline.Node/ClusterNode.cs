using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Learning;
using ProfilePipeline.Node.Learning;
using ProfilePipeline.Streams;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Node;

/// <summary>An actor system that is a member of the cluster (a cluster of one when no seed nodes are configured) with the profile shard region.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private ClusterNode(ActorSystem system, IActorRef profiles, UserProfileSettings settings, Erasures erasures, ModelHolder models, IActorRef? learner,
        SegmentHolder segments, IActorRef? segmentation, IActorRef? timerIndex, IActorRef? decisionPointIndex)
    {
        TimerIndex = timerIndex;
        DecisionPointIndex = decisionPointIndex;
        Segments = segments;
        Segmentation = segmentation;
        System = system;
        Profiles = profiles;
        Settings = settings;
        Erasures = erasures;
        Models = models;
        Learner = learner;
    }

    public ActorSystem System { get; }

    /// <summary>The shard region of <see cref="UserProfileActor"/> entities.</summary>
    public IActorRef Profiles { get; }

    public UserProfileSettings Settings { get; }

    /// <summary>The shard region of the partitions' durable inactivity timers (<see cref="InactivityIndexActor"/>); null when decisions are off.</summary>
    public IActorRef? TimerIndex { get; }

    /// <summary>The shard region of the partitions' durable open decision points (<see cref="DecisionPointIndexActor"/>); null when learning is off.</summary>
    public IActorRef? DecisionPointIndex { get; }

    /// <summary>This node's view of the erasure registry (a cluster singleton).</summary>
    public Erasures Erasures { get; }

    /// <summary>The propensity model this node scores with: the rules until the learner publishes a version.</summary>
    public ModelHolder Models { get; }

    /// <summary>The proxy of the learner singleton (<see cref="PropensityLearnerActor"/>), or null when learning is off.</summary>
    public IActorRef? Learner { get; }

    /// <summary>The segmentation this node assigns with: none until the singleton has trained one.</summary>
    public SegmentHolder Segments { get; }

    /// <summary>The proxy of the segmentation singleton (<see cref="Segments.SegmentationActor"/>), or null when segments are off.</summary>
    public IActorRef? Segmentation { get; }

    public static async Task<ClusterNode> StartAsync(Config config, TimeSpan joinTimeout)
    {
        var decisions = DecisionConfig.From(config);
        var settings = UserProfileSettings.FromConfig(config) with { Rules = new Domain.Decisions.RuleBook(decisions?.Rules ?? []) };
        // The cluster tools' own configuration (their serializers above all) from the start: a node that receives sharding's
        // distributed-data gossip before its own replicator has started must already know how to read it.
        var system = ActorSystem.Create("profile-pipeline", config
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig())
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig()));
        try
        {
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            if (config.GetStringList("akka.cluster.seed-nodes").Count == 0)
                await cluster.JoinAsync(cluster.SelfAddress).ConfigureAwait(false);
            await up.Task.WaitAsync(joinTimeout).ConfigureAwait(false);

            var erasures = await StartErasureRegistryAsync(system, config, joinTimeout).ConfigureAwait(false);
            var region = await ClusterSharding.Get(system).StartAsync(
                "user-profile",
                userId => UserProfileActor.Props(userId, settings, erasures),
                ClusterShardingSettings.Create(system),
                new UserProfileMessageExtractor(settings.NumberOfShards)).ConfigureAwait(false);
            var timerIndex = decisions is null ? null : await ClusterSharding.Get(system).StartAsync(
                PartitionIndexMessageExtractor.TimersTypeName,
                partition => InactivityIndexActor.Props(partition, snapshotEvery: 500, followErasures: true),
                ClusterShardingSettings.Create(system),
                new PartitionIndexMessageExtractor()).ConfigureAwait(false);
            var pointIndex = settings.DecisionPoints is null ? null : await ClusterSharding.Get(system).StartAsync(
                PartitionIndexMessageExtractor.DecisionPointsTypeName,
                partition => DecisionPointIndexActor.Props(partition, snapshotEvery: 500, followErasures: true),
                ClusterShardingSettings.Create(system),
                new PartitionIndexMessageExtractor()).ConfigureAwait(false);
            var models = new ModelHolder(RuleBasedPropensityModel.Instance);
            var learner = settings.DecisionPoints is null ? null : StartLearner(system, LearningConfig.From(config).Learner, models);
            var segments = new SegmentHolder();
            var segmentation = SegmentationConfig.From(config) is { } segmentSettings ? StartSegmentation(system, segmentSettings, segments) : null;
            return new ClusterNode(system, region, settings, erasures, models, learner, segments, segmentation, timerIndex, pointIndex);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The registry singleton, its proxy, and this node's list, loaded before any entity can start.</summary>
    private static async Task<Erasures> StartErasureRegistryAsync(ActorSystem system, Config config, TimeSpan timeout)
    {
        system.ActorOf(ClusterSingletonManager.Props(ErasureRegistry.Props(publishToCluster: true), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system)), "erasure-registry");
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/erasure-registry", ClusterSingletonProxySettings.Create(system)),
            "erasure-registry-proxy");
        var erasures = new Erasures(new Pseudonymizer(config.GetString("profile-pipeline.pseudonym-key")), proxy);
        system.ActorOf(ErasureListSubscriber.Props(erasures), "erasure-list");
        await erasures.Loaded.WaitAsync(timeout).ConfigureAwait(false);
        return erasures;
    }

    /// <summary>The learner singleton, its proxy, and this node's subscriber that swaps new versions into scoring.</summary>
    private static IActorRef StartLearner(ActorSystem system, LearnerSettings settings, ModelHolder models)
    {
        system.ActorOf(ClusterSingletonManager.Props(PropensityLearnerActor.Props(settings, publishToCluster: true), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system)), "propensity-learner");
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/propensity-learner", ClusterSingletonProxySettings.Create(system)),
            "propensity-learner-proxy");
        // The scoring stage reads the holder once per batch, so a new version lands between batches.
        system.ActorOf(SingletonFollower<ServingModel>.Props(PropensityLearnerActor.Topic, proxy, GetServingModel.Instance,
            serving => models.Publish(serving.Version?.ToModel() ?? (IPropensityModel)RuleBasedPropensityModel.Instance)), "model-subscriber");
        return proxy;
    }

    /// <summary>The segmentation singleton, its proxy, and this node's subscriber that swaps new versions into scoring.</summary>
    private static IActorRef StartSegmentation(ActorSystem system, Node.Segments.SegmentationSettings settings, SegmentHolder segments)
    {
        system.ActorOf(ClusterSingletonManager.Props(Node.Segments.SegmentationActor.Props(settings), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system)), "segmentation");
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/segmentation", ClusterSingletonProxySettings.Create(system)), "segmentation-proxy");
        system.ActorOf(SingletonFollower<Node.Segments.SegmentsServed>.Props(Node.Segments.SegmentationActor.Topic, proxy, Node.Segments.GetSegments.Instance,
            served =>
            {
                if (served.Model is { } model)
                    segments.Publish(model);
            }), "segment-subscriber");
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
    }
}
