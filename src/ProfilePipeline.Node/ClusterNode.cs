using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Node;

/// <summary>An actor system that is a member of the cluster (a cluster of one when no seed nodes are configured) with the profile shard region.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private ClusterNode(ActorSystem system, IActorRef profiles, UserProfileSettings settings, Erasures erasures)
    {
        System = system;
        Profiles = profiles;
        Settings = settings;
        Erasures = erasures;
    }

    public ActorSystem System { get; }

    /// <summary>The shard region of <see cref="UserProfileActor"/> entities.</summary>
    public IActorRef Profiles { get; }

    public UserProfileSettings Settings { get; }

    /// <summary>This node's view of the erasure registry (a cluster singleton).</summary>
    public Erasures Erasures { get; }

    public static async Task<ClusterNode> StartAsync(Config config, TimeSpan joinTimeout)
    {
        var settings = UserProfileSettings.FromConfig(config);
        var system = ActorSystem.Create("profile-pipeline", config);
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
            return new ClusterNode(system, region, settings, erasures);
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

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
    }
}
