using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// The learner's messages under short, stable manifests. As JSON: the model registry's journal entries (MV1 a promoted
/// version, MJ1 a rejection, MR1 a rollback: a few hundred bytes each, readable with any SQL client), what nodes send to
/// and receive from the learner singleton, and likewise the segmentation singleton's (SG1 a segmentation version in its
/// journal, and its messages). In binary, as they carry a feature vector per label: the labels delivered (LR2) and
/// learned from (LL2, in the journal), and the snapshot (LN2: its JSON, without the long arrays, then those arrays in
/// binary). The JSON layouts these had before (LR1, LL1, LN1) stay readable.
/// </summary>
public sealed class LearnerSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7102;
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static readonly Akka.Configuration.Config Configuration = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.learner = "ProfilePipeline.Node.Learning.LearnerSerializer, ProfilePipeline.Node"
          serialization-bindings {
            "ProfilePipeline.Domain.Learning.ModelVersion, ProfilePipeline.Domain" = learner
            "ProfilePipeline.Domain.Learning.ModelRejection, ProfilePipeline.Domain" = learner
            "ProfilePipeline.Node.Learning.ModelRollback, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.LabelsResolved, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.LabelsAccepted, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.LabelsLearned, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.LearnerSnapshot, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.GetLearnerStatus, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.LearnerStatus, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.GetModelHistory, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.ModelHistory, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.RollbackModel, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.GetServingModel, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Learning.ServingModel, ProfilePipeline.Node" = learner
            "ProfilePipeline.Domain.Segments.SegmentModel, ProfilePipeline.Domain" = learner
            "ProfilePipeline.Node.Segments.SegmentSamples, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Segments.GetSegments, ProfilePipeline.Node" = learner
            "ProfilePipeline.Node.Segments.SegmentsServed, ProfilePipeline.Node" = learner
          }
          serialization-identifiers {
            "ProfilePipeline.Node.Learning.LearnerSerializer, ProfilePipeline.Node" = 7102
          }
        }
        """);

    public override int Identifier => Id;

    private static readonly Dictionary<string, Type> Types = new(StringComparer.Ordinal)
    {
        ["MV1"] = typeof(ModelVersion),
        ["MJ1"] = typeof(ModelRejection),
        ["MR1"] = typeof(ModelRollback),
        ["LR1"] = typeof(LabelsResolved), // read only: written as LR2
        ["LA1"] = typeof(LabelsAccepted),
        ["LL1"] = typeof(LabelsLearned), // read only: written as LL2
        ["LN1"] = typeof(LearnerSnapshot), // read only: written as LN2
        ["GS1"] = typeof(GetLearnerStatus),
        ["LS1"] = typeof(LearnerStatus),
        ["GH1"] = typeof(GetModelHistory),
        ["MH1"] = typeof(ModelHistory),
        ["RM1"] = typeof(RollbackModel),
        ["GM1"] = typeof(GetServingModel),
        ["SM1"] = typeof(ServingModel),
        ["SG1"] = typeof(Domain.Segments.SegmentModel),
        ["SS1"] = typeof(Segments.SegmentSamples),
        ["GG1"] = typeof(Segments.GetSegments),
        ["SV1"] = typeof(Segments.SegmentsServed),
    };

    private static readonly Dictionary<Type, string> Manifests = Types.ToDictionary(kv => kv.Value, kv => kv.Key);

    public override string Manifest(object o) => o switch
    {
        LabelsResolved => "LR2",
        LabelsLearned => "LL2",
        LearnerSnapshot => "LN2",
        _ when Manifests.TryGetValue(o.GetType(), out var manifest) => manifest,
        _ => throw new ArgumentException($"{nameof(LearnerSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        LabelsResolved resolved => DecisionPointCodec.ToBytes(64 + resolved.Labels.Length * 160, w => DecisionPointCodec.WriteAll(w, resolved.Labels, DecisionPointCodec.Write)),
        LabelsLearned learned => DecisionPointCodec.ToBytes(64 + learned.Labels.Length * 96, w => DecisionPointCodec.WriteAll(w, learned.Labels, Write)),
        LearnerSnapshot snapshot => SnapshotToBytes(snapshot),
        _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        "LR2" => DecisionPointCodec.FromBytes(bytes, r => new LabelsResolved([.. DecisionPointCodec.ReadAll(r, DecisionPointCodec.ReadExample, DecisionPointCodec.MinExampleBytes)])),
        "LL2" => DecisionPointCodec.FromBytes(bytes, r => new LabelsLearned([.. DecisionPointCodec.ReadAll(r, ReadLearned, MinLearnedBytes)])),
        "LN2" => DecisionPointCodec.FromBytes(bytes, SnapshotFromBytes),
        _ when Types.TryGetValue(manifest, out var type) => JsonSerializer.Deserialize(bytes, type, Json)!,
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(LearnerSerializer)}"),
    };

    /// <summary>The least bytes a written label takes: fingerprint, time, empty kind, empty features, label, resolution time.</summary>
    private const int MinLearnedBytes = sizeof(ulong) + sizeof(long) + 1 + 1 + 1 + sizeof(long);

    /// <summary>The point's fingerprint, its time, kind and features, the label and when it was resolved.</summary>
    private static void Write(BinaryWriter w, LearnedLabel label)
    {
        w.Write(label.Point);
        w.Write(label.At);
        w.Write(label.Kind);
        DecisionPointCodec.WriteFeatures(w, label.Features);
        w.Write(label.Purchased);
        w.Write(label.ResolvedAt);
    }

    private static LearnedLabel ReadLearned(BinaryReader r) =>
        new(r.ReadUInt64(), r.ReadInt64(), r.ReadString(), DecisionPointCodec.ReadFeatures(r), r.ReadBoolean(), r.ReadInt64());

    /// <summary>
    /// LN2: the length of the snapshot's JSON and the JSON, with the arrays that grow with the settings left empty
    /// (the recent points and their labels, the training window, the metrics' recent scores), then those arrays.
    /// </summary>
    private static byte[] SnapshotToBytes(LearnerSnapshot snapshot)
    {
        var learner = snapshot.Learner;
        var metrics = learner.Metrics;
        var rest = snapshot with
        {
            RecentPoints = [],
            RecentPurchased = [],
            Learner = learner with { WindowFeatures = [], WindowLabels = [], WindowTimes = [], Metrics = metrics with { RecentScores = [], RecentLabels = [] } },
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(rest, Json);
        return DecisionPointCodec.ToBytes(json.Length + snapshot.RecentPoints.Length * 9 + learner.WindowFeatures.Length * 80 + metrics.RecentScores.Length * 9 + 64, w =>
        {
            w.Write(json.Length);
            w.Write(json);
            DecisionPointCodec.WriteAll(w, snapshot.RecentPoints, (w, point) => w.Write(point));
            DecisionPointCodec.WriteAll(w, snapshot.RecentPurchased, (w, purchased) => w.Write(purchased));
            DecisionPointCodec.WriteAll(w, learner.WindowFeatures, DecisionPointCodec.WriteFeatures);
            DecisionPointCodec.WriteAll(w, learner.WindowLabels, (w, label) => w.Write(label));
            DecisionPointCodec.WriteAll(w, learner.WindowTimes, (w, at) => w.Write(at));
            DecisionPointCodec.WriteAll(w, metrics.RecentScores, (w, score) => w.Write(score));
            DecisionPointCodec.WriteAll(w, metrics.RecentLabels, (w, label) => w.Write(label));
        });
    }

    private static LearnerSnapshot SnapshotFromBytes(BinaryReader reader)
    {
        var rest = JsonSerializer.Deserialize<LearnerSnapshot>(reader.ReadBytes(reader.ReadInt32()), Json)
            ?? throw new System.Runtime.Serialization.SerializationException("an LN2 learner snapshot without its JSON part");
        var recentPoints = DecisionPointCodec.ReadAll(reader, r => r.ReadUInt64(), sizeof(ulong));
        var recentPurchased = DecisionPointCodec.ReadAll(reader, r => r.ReadBoolean());
        var windowFeatures = DecisionPointCodec.ReadAll(reader, DecisionPointCodec.ReadFeatures);
        var windowLabels = DecisionPointCodec.ReadAll(reader, r => r.ReadBoolean());
        var windowTimes = DecisionPointCodec.ReadAll(reader, r => r.ReadInt64(), sizeof(long));
        var recentScores = DecisionPointCodec.ReadAll(reader, r => r.ReadDouble(), sizeof(double));
        var recentLabels = DecisionPointCodec.ReadAll(reader, r => r.ReadBoolean());
        return rest with
        {
            RecentPoints = recentPoints,
            RecentPurchased = recentPurchased,
            Learner = rest.Learner with
            {
                WindowFeatures = windowFeatures, WindowLabels = windowLabels, WindowTimes = windowTimes,
                Metrics = rest.Learner.Metrics with { RecentScores = recentScores, RecentLabels = recentLabels },
            },
        };
    }
}
