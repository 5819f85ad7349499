using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Entities;

/// <summary>
/// The messages that cross nodes: to and from the profile entities (through sharding) and the erasure registry.
/// <see cref="RecordBehaviors"/>, the hot one, travels in the journal's binary event layout, and the decision points'
/// index messages in <see cref="DecisionPointCodec"/>'s (UP2, PU2 in the index's journal, PO2 also its snapshot); the
/// others as JSON under short, stable manifests. Akka.NET's default (Newtonsoft) serializer cannot read the immutable
/// collections they carry. The JSON layouts the index messages had before (UP1, PU1, PO1) stay readable.
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
        ["UP1"] = typeof(UpdateDecisionPoints), // read only: written as UP2
        ["PU1"] = typeof(DecisionPointsUpdated), // read only: written as PU2
        ["GO1"] = typeof(GetDecisionPoints),
        ["PO1"] = typeof(PartitionDecisionPoints), // read only: written as PO2
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
        UpdateDecisionPoints => "UP2",
        DecisionPointsUpdated => "PU2",
        PartitionDecisionPoints => "PO2",
        _ when Manifests.TryGetValue(o.GetType(), out var manifest) => manifest,
        _ => throw new ArgumentException($"{nameof(ProtocolSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        RecordBehaviors record => DecisionPointCodec.ToBytes(256, w =>
        {
            w.Write(record.UserId);
            w.Write(BehaviorEventCodec.ToBytes(new BehaviorsRecorded(record.Events, [])));
        }),
        UpdateDecisionPoints update => PointChangesToBytes(update.Partition, update.Opened, update.Purchased, update.Closed),
        DecisionPointsUpdated updated => PointChangesToBytes(updated.Partition, updated.Opened, updated.Purchased, updated.Closed),
        PartitionDecisionPoints points => PartitionPointsToBytes(points),
        _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        "RB1" => DecisionPointCodec.FromBytes(bytes, r =>
        {
            var userId = r.ReadString();
            return new RecordBehaviors(userId, BehaviorEventCodec.BehaviorsRecordedFromBytes(r.ReadBytes(bytes.Length - (int)r.BaseStream.Position)).Events);
        }),
        "UP2" => PointChangesFromBytes(bytes, (partition, opened, purchased, closed) => new UpdateDecisionPoints(partition, opened, purchased, closed)),
        "PU2" => PointChangesFromBytes(bytes, (partition, opened, purchased, closed) => new DecisionPointsUpdated(partition, opened, purchased, closed)),
        "PO2" => PartitionPointsFromBytes(bytes),
        _ => JsonFromBinary(bytes, manifest),
    };

    private static object JsonFromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json)!
            : throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(ProtocolSerializer)}");

    /// <summary>The partition, the points opened, the ids of those marked purchased, the ids of those closed.</summary>
    private static byte[] PointChangesToBytes(string partition, ImmutableArray<OpenDecisionPoint> opened, ImmutableArray<string> purchased,
        ImmutableArray<string> closed) =>
        DecisionPointCodec.ToBytes(64 + opened.Length * 128 + (purchased.Length + closed.Length) * 24, w =>
        {
            w.Write(partition);
            DecisionPointCodec.WriteAll(w, opened, DecisionPointCodec.Write);
            DecisionPointCodec.WriteAll(w, purchased, (w, id) => w.Write(id));
            DecisionPointCodec.WriteAll(w, closed, (w, id) => w.Write(id));
        });

    private static T PointChangesFromBytes<T>(byte[] bytes,
        Func<string, ImmutableArray<OpenDecisionPoint>, ImmutableArray<string>, ImmutableArray<string>, T> create) =>
        DecisionPointCodec.FromBytes(bytes, r =>
        {
            var partition = r.ReadString();
            var opened = DecisionPointCodec.ReadAll(r, DecisionPointCodec.ReadOpen, DecisionPointCodec.MinOpenBytes);
            var purchased = DecisionPointCodec.ReadAll(r, r => r.ReadString());
            var closed = DecisionPointCodec.ReadAll(r, r => r.ReadString());
            return create(partition, [.. opened], [.. purchased], [.. closed]);
        });

    /// <summary>The partition, the points, and whether a next page follows and after which id.</summary>
    private static byte[] PartitionPointsToBytes(PartitionDecisionPoints points) =>
        DecisionPointCodec.ToBytes(64 + points.Points.Length * 128, w =>
        {
            w.Write(points.Partition);
            DecisionPointCodec.WriteAll(w, points.Points, DecisionPointCodec.Write);
            w.Write(points.Next is not null);
            w.Write(points.Next ?? "");
        });

    private static PartitionDecisionPoints PartitionPointsFromBytes(byte[] bytes) =>
        DecisionPointCodec.FromBytes(bytes, r =>
        {
            var partition = r.ReadString();
            var points = DecisionPointCodec.ReadAll(r, DecisionPointCodec.ReadOpen, DecisionPointCodec.MinOpenBytes);
            var hasNext = r.ReadBoolean();
            var next = r.ReadString();
            return new PartitionDecisionPoints(partition, [.. points]) { Next = hasNext ? next : null };
        });
}
