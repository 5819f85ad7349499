using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Node;

/// <summary>An actor system that is a member of the cluster (a cluster of one when no seed nodes are configured) with the profile shard region.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private ClusterNode(ActorSystem system, IActorRef profiles, UserProfileSettings settings)
    {
        System = system;
        Profiles = profiles;
        Settings = settings;
    }

    public ActorSystem System { get; }

    /// <summary>The shard region of <see cref="UserProfileActor"/> entities.</summary>
    public IActorRef Profiles { get; }

    public UserProfileSettings Settings { get; }

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

            var region = await ClusterSharding.Get(system).StartAsync(
                "user-profile",
                userId => UserProfileActor.Props(userId, settings),
                ClusterShardingSettings.Create(system),
                new UserProfileMessageExtractor(settings.NumberOfShards)).ConfigureAwait(false);
            return new ClusterNode(system, region, settings);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
    }
}
