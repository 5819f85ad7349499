using Akka.Actor;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// Hands a node's released labels to the learner singleton through its proxy, and waits until the learner has
/// journaled them; asked again after a timeout (the singleton may be moving), which the learner takes once. A batch
/// goes in messages of at most <see cref="MaxLabelsPerMessage"/> labels, which cross nodes well under the remoting
/// frame size; they are independent of each other, so they are sent at once.
/// </summary>
public sealed class LearnerLabelSink(IActorRef learner, AskPolicy asks, Action retried) : ILabelSink
{
    /// <summary>Labels in one message to the learner (each carries its decision point's features and ids).</summary>
    public const int MaxLabelsPerMessage = 128;

    public Task DeliverAsync(IReadOnlyList<LabeledExample> labels) =>
        Task.WhenAll(labels.Chunk(MaxLabelsPerMessage).Select(piece => asks.AskAsync<LabelsAccepted>(learner, new LabelsResolved([.. piece]), retried)));
}
