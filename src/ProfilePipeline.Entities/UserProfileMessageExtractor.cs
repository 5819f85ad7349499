using Akka.Cluster.Sharding;

namespace ProfilePipeline.Entities;

/// <summary>Routes every <see cref="IWithUserId"/> message to the user's entity; shards by a stable hash of the user id.</summary>
public sealed class UserProfileMessageExtractor(int numberOfShards) : HashCodeMessageExtractor(numberOfShards)
{
    public override string? EntityId(object message) => message switch
    {
        IWithUserId m => m.UserId,
        _ => null,
    };
}
