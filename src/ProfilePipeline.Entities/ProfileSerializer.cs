using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Decisions;
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
    private const string SnapshotWithLedgerManifest = "PS2";
    private const string SnapshotWithPointsManifest = "PS3";
    private const string LedgerEntryManifest = "LE1";
    private const string ErasureRecordedManifest = "ER1";

    /// <summary>Binds everything the entity persists to this serializer; part of every node's configuration.</summary>
    public static readonly Akka.Configuration.Config Configuration = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.profile = "ProfilePipeline.Entities.ProfileSerializer, ProfilePipeline.Entities"
          serialization-bindings {
            "ProfilePipeline.Domain.Profile.BehaviorsRecorded, ProfilePipeline.Domain" = profile
            "ProfilePipeline.Entities.ProfileSnapshot, ProfilePipeline.Entities" = profile
            "ProfilePipeline.Entities.ErasureRecorded, ProfilePipeline.Entities" = profile
            "ProfilePipeline.Domain.Decisions.LedgerEntry, ProfilePipeline.Domain" = profile
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
        ProfileSnapshot => SnapshotWithPointsManifest,
        ErasureRecorded => ErasureRecordedManifest,
        LedgerEntry => LedgerEntryManifest,
        _ => throw new ArgumentException($"{nameof(ProfileSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        BehaviorsRecorded recorded => BehaviorEventCodec.ToBytes(recorded),
        ProfileSnapshot snapshot => SnapshotToBytes(snapshot),
        ErasureRecorded erased => ErasureToBytes(erased),
        LedgerEntry entry => LedgerEntryToBytes(entry),
        _ => throw new ArgumentException($"{nameof(ProfileSerializer)} cannot serialize {obj.GetType()}"),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        BehaviorsRecordedManifest => BehaviorEventCodec.BehaviorsRecordedFromBytes(bytes),
        SnapshotManifest => new ProfileSnapshot(bytes), // written before decisions were kept: an empty ledger
        SnapshotWithLedgerManifest => SnapshotWithLedgerFromBytes(bytes), // written before recent decision points were kept
        SnapshotWithPointsManifest => SnapshotFromBytes(bytes),
        ErasureRecordedManifest => ErasureFromBytes(bytes),
        LedgerEntryManifest => LedgerEntryFromBytes(bytes),
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(ProfileSerializer)}"),
    };

    /// <summary>PS3: the state's length and the state, the decision ledger's length and the ledger, then the recent decision points.</summary>
    private static byte[] SnapshotToBytes(ProfileSnapshot snapshot)
    {
        var bytes = new byte[8 + snapshot.State.Length + snapshot.Ledger.Length + snapshot.RecentPoints.Length];
        BitConverter.TryWriteBytes(bytes, snapshot.State.Length);
        snapshot.State.CopyTo(bytes, 4);
        var ledgerAt = 4 + snapshot.State.Length;
        BitConverter.TryWriteBytes(bytes.AsSpan(ledgerAt), snapshot.Ledger.Length);
        snapshot.Ledger.CopyTo(bytes, ledgerAt + 4);
        snapshot.RecentPoints.CopyTo(bytes, ledgerAt + 4 + snapshot.Ledger.Length);
        return bytes;
    }

    private static ProfileSnapshot SnapshotFromBytes(byte[] bytes)
    {
        var length = BitConverter.ToInt32(bytes, 0);
        var ledgerAt = 4 + length;
        var ledgerLength = BitConverter.ToInt32(bytes, ledgerAt);
        return new ProfileSnapshot(bytes[4..ledgerAt])
        {
            Ledger = bytes[(ledgerAt + 4)..(ledgerAt + 4 + ledgerLength)],
            RecentPoints = bytes[(ledgerAt + 4 + ledgerLength)..],
        };
    }

    /// <summary>PS2: the state's length, the state, then the decision ledger.</summary>
    private static ProfileSnapshot SnapshotWithLedgerFromBytes(byte[] bytes)
    {
        var length = BitConverter.ToInt32(bytes, 0);
        return new ProfileSnapshot(bytes[4..(4 + length)]) { Ledger = bytes[(4 + length)..] };
    }

    private static byte[] LedgerEntryToBytes(LedgerEntry entry)
    {
        using var stream = new MemoryStream(64);
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(entry.FlaggedVersion.HasValue);
            writer.Write(entry.FlaggedVersion ?? 0);
            writer.Write(entry.Rule is not null);
            writer.Write(entry.Rule ?? "");
            writer.Write(entry.At);
            writer.Write(entry.Ride);
            writer.Write(entry.Basis is not null);
            entry.Basis?.Write(writer);
        }
        return stream.ToArray();
    }

    private static LedgerEntry LedgerEntryFromBytes(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var hasFlag = reader.ReadBoolean();
        var version = reader.ReadInt64();
        var hasRule = reader.ReadBoolean();
        var rule = reader.ReadString();
        var at = reader.ReadInt64();
        var ride = reader.ReadInt64();
        return new LedgerEntry(hasFlag ? version : null, hasRule ? rule : null, at, ride, reader.ReadBoolean() ? DecisionBasis.Read(reader) : null);
    }

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
