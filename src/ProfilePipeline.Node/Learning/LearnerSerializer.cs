using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// The learner's messages as JSON under short, stable manifests: the model registry's journal entries (MV1 a promoted
/// version, MJ1 a rejection, MR1 a rollback: a few hundred bytes each, readable with any SQL client), the labels it
/// learned from (LL1) and its snapshot (LN1), and what nodes
/// send to and receive from the learner singleton; likewise the segmentation singleton's (SG1 a segmentation version in
/// its journal, and its messages).
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
        ["LR1"] = typeof(LabelsResolved),
        ["LA1"] = typeof(LabelsAccepted),
        ["LL1"] = typeof(LabelsLearned),
        ["LN1"] = typeof(LearnerSnapshot),
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

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest) ? manifest : throw new ArgumentException($"{nameof(LearnerSerializer)} cannot serialize {o.GetType()}");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json)!
            : throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(LearnerSerializer)}");
}
