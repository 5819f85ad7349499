using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Entities;

/// <summary>
/// Binary serializer for everything the entity persists, with short string manifests that name the type and
/// its layout version ("BR1" = BehaviorsRecorded layout 1). A new layout gets a new manifest; old ones stay readable.
/// </summary>
public sealed class ProfileSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7101;
    private const string BehaviorsRecordedManifest = "BR1";
    private const string SnapshotManifest = "PS1";
    private const string ErasureRecordedManifest = "ER1";

    /// <summary>Binds everything the entity persists to this serializer; part of every node's configuration.</summary>
    public static readonly Akka.Configuration.Config Configuration = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.profile = "ProfilePipeline.Entities.ProfileSerializer, ProfilePipeline.Entities"
          serialization-bindings {
            "ProfilePipeline.Domain.Profile.BehaviorsRecorded, ProfilePipeline.Domain" = profile
            "ProfilePipeline.Entities.ProfileSnapshot, ProfilePipeline.Entities" = profile
            "ProfilePipeline.Entities.ErasureRecorded, ProfilePipeline.Entities" = profile
          }
          serialization-identifiers {
            "ProfilePipeline.Entities.ProfileSerializer, ProfilePipeline.Entities" = 7101
          }
        }
        """);

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        BehaviorsRecorded => BehaviorsRecordedManifest,
        ProfileSnapshot => SnapshotManifest,
        ErasureRecorded => ErasureRecordedManifest,
        _ => throw new ArgumentException($"{nameof(ProfileSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        BehaviorsRecorded recorded => BehaviorEventCodec.ToBytes(recorded),
        ProfileSnapshot snapshot => snapshot.State,
        ErasureRecorded erased => ErasureToBytes(erased),
        _ => throw new ArgumentException($"{nameof(ProfileSerializer)} cannot serialize {obj.GetType()}"),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        BehaviorsRecordedManifest => BehaviorEventCodec.BehaviorsRecordedFromBytes(bytes),
        SnapshotManifest => new ProfileSnapshot(bytes),
        ErasureRecordedManifest => ErasureFromBytes(bytes),
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(ProfileSerializer)}"),
    };

    private static byte[] ErasureToBytes(ErasureRecorded erased)
    {
        using var stream = new MemoryStream(64);
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(erased.Key);
            writer.Write(erased.ErasedAt);
        }
        return stream.ToArray();
    }

    private static ErasureRecorded ErasureFromBytes(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return new ErasureRecorded(reader.ReadString(), reader.ReadInt64());
    }
}
