using Akka.Actor;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// Hands a node's released labels to the learner singleton through its proxy, and waits until the learner has
/// journaled them; asked again after a timeout (the singleton may be moving), which the learner takes once.
/// </summary>
public sealed class LearnerLabelSink(IActorRef learner, AskPolicy asks, Action retried) : ILabelSink
{
    public Task DeliverAsync(IReadOnlyList<LabeledExample> labels) => asks.AskAsync<LabelsAccepted>(learner, new LabelsResolved([.. labels]), retried);
}
