using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// The model registry's journal entries as JSON, under versioned manifests (MV1 a promoted version, MJ1 a rejection,
/// MR1 a rollback): a few hundred bytes each, readable with any SQL client.
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
          }
          serialization-identifiers {
            "ProfilePipeline.Node.Learning.LearnerSerializer, ProfilePipeline.Node" = 7102
          }
        }
        """);

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        ModelVersion => "MV1",
        ModelRejection => "MJ1",
        ModelRollback => "MR1",
        _ => throw new ArgumentException($"{nameof(LearnerSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        "MV1" => JsonSerializer.Deserialize<ModelVersion>(bytes, Json)!,
        "MJ1" => JsonSerializer.Deserialize<ModelRejection>(bytes, Json)!,
        "MR1" => JsonSerializer.Deserialize<ModelRollback>(bytes, Json)!,
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(LearnerSerializer)}"),
    };
}
