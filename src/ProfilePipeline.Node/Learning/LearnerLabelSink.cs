using Akka.Actor;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Learning;

/// <summary>Hands a node's released labels to the learner singleton through its proxy.</summary>
public sealed class LearnerLabelSink(IActorRef learner) : ILabelSink
{
    public void Publish(IReadOnlyList<Domain.Learning.LabeledExample> labels) => learner.Tell(new LabelsResolved([.. labels]));
}
