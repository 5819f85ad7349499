using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Entities;

/// <summary>
/// The messages that cross nodes: to and from the profile entities (through sharding) and the erasure registry.
/// <see cref="RecordBehaviors"/>, the hot one, travels in the journal's binary event layout; the others as JSON under
/// short, stable manifests. Akka.NET's default (Newtonsoft) serializer cannot read the immutable collections they carry.
/// </summary>
public class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7103;

    protected static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static readonly Dictionary<string, Type> Types = new(StringComparer.Ordinal)
    {
        ["BA1"] = typeof(BehaviorsAcknowledged),
        ["GP1"] = typeof(GetProfile),
        ["PR1"] = typeof(ProfileReply),
        ["EP1"] = typeof(EraseProfile),
        ["PE1"] = typeof(ProfileErased),
        ["RE1"] = typeof(RecordErasure),
        ["GE1"] = typeof(GetErasures),
        ["ES1"] = typeof(ErasureSet),
        ["UE1"] = typeof(UserErased),
        ["RP1"] = typeof(RebuildProfile),
        ["PB1"] = typeof(ProfileRebuilt),
        ["RD1"] = typeof(RecordDecision),
        ["DR1"] = typeof(DecisionReply),
        ["GD1"] = typeof(GetDecisionsSince),
        ["DS1"] = typeof(DecisionsSince),
        ["UT1"] = typeof(UpdateTimers),
        ["TU1"] = typeof(TimersUpdated),
        ["DT1"] = typeof(DisarmTimers),
        ["GT1"] = typeof(GetPartitionTimers),
        ["PS1"] = typeof(PublicationsSettled),
        ["TP1"] = typeof(TimersPurged),
        ["PT1"] = typeof(PartitionTimers),
        ["UP1"] = typeof(UpdateDecisionPoints),
        ["PU1"] = typeof(DecisionPointsUpdated),
        ["GO1"] = typeof(GetDecisionPoints),
        ["PO1"] = typeof(PartitionDecisionPoints),
        ["PP1"] = typeof(DecisionPointsPurged),
    };

    private static readonly Dictionary<Type, string> Manifests = Types.ToDictionary(kv => kv.Value, kv => kv.Key);

    public static readonly Akka.Configuration.Config Configuration = Akka.Configuration.ConfigurationFactory.ParseString(
        "akka.actor {\n"
        + "  serializers.profile-protocol = \"ProfilePipeline.Entities.ProtocolSerializer, ProfilePipeline.Entities\"\n"
        + "  serialization-bindings {\n"
        + "    \"ProfilePipeline.Entities.RecordBehaviors, ProfilePipeline.Entities\" = profile-protocol\n"
        + string.Concat(Types.Values.Select(t => $"    \"{t.FullName}, ProfilePipeline.Entities\" = profile-protocol\n"))
        + "  }\n"
        + "  serialization-identifiers {\n"
        + "    \"ProfilePipeline.Entities.ProtocolSerializer, ProfilePipeline.Entities\" = 7103\n"
        + "  }\n"
        + "}\n");

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        RecordBehaviors => "RB1",
        _ when Manifests.TryGetValue(o.GetType(), out var manifest) => manifest,
        _ => throw new ArgumentException($"{nameof(ProtocolSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        if (obj is not RecordBehaviors record)
            return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(record.UserId);
            writer.Write(BehaviorEventCodec.ToBytes(new BehaviorsRecorded(record.Events, [])));
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == "RB1")
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            var userId = reader.ReadString();
            var events = BehaviorEventCodec.BehaviorsRecordedFromBytes(reader.ReadBytes(bytes.Length - (int)reader.BaseStream.Position)).Events;
            return new RecordBehaviors(userId, events);
        }
        return Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json)!
            : throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(ProtocolSerializer)}");
    }
}
