using Akka.Actor;
using ProfilePipeline.Domain.Privacy;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// An <see cref="ErasureRegistry"/> as a plain actor (no cluster: the singleton and its pub-sub topic are what a node
/// adds) and a node's <see cref="Erasures"/> loaded from it, as a node has before its first entity starts.
/// </summary>
public static class TestErasures
{
    public static readonly Pseudonymizer Keys = new("entity-specs-key-0123456789");

    public static IActorRef Registry(ActorSystem system, string name = "erasure-registry") =>
        system.ActorOf(ErasureRegistry.Props(publishToCluster: false), name);

    public static async Task<Erasures> LoadAsync(IActorRef registry)
    {
        var erasures = new Erasures(Keys, registry);
        erasures.Load(await registry.Ask<ErasureSet>(GetErasures.Instance, TimeSpan.FromSeconds(20)));
        return erasures;
    }
}
