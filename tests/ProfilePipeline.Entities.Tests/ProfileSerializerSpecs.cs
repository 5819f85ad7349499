using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities.Tests;

public sealed class ProfileSerializerSpecs() : TestKit(ProfileSerializer.Configuration, "serializer-specs")
{
    [Fact]
    public void Persisted_events_use_the_binary_serializer_and_round_trip()
    {
        var attributes = BehaviorEvent.NoAttributes.Add("email", "hashed");
        var recorded = new BehaviorsRecorded(
            [new BehaviorEvent("e1", "u", BehaviorType.Purchase, 1767225600000, "i", "c", "b", 9.99m, 2, "q", "s", "d", attributes, new SourcePosition("src", 4))],
            [new SourcePosition("src", 5)]);
        var serializer = Sys.Serialization.FindSerializerFor(recorded);
        Assert.IsType<ProfileSerializer>(serializer);
        var manifest = ((ProfileSerializer)serializer).Manifest(recorded);
        Assert.Equal("BR1", manifest);
        var copy = Sys.Serialization.Deserialize(serializer.ToBinary(recorded), serializer.Identifier, manifest);
        Assert.Equal(recorded, copy);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_with_a_clear_error()
    {
        var serializer = (ProfileSerializer)Sys.Serialization.FindSerializerForType(typeof(ProfileSnapshot));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([1, 2], "XX9"));
    }
}
