using Akka.Actor;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Serialization;
using ProfilePipeline.Entities;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Learning;

/// <summary>
/// Hands a node's released labels to the learner singleton through its proxy, and waits until the learner has
/// journaled them; asked again after a timeout (the singleton may be moving), which the learner takes once. A batch
/// goes in messages that cross nodes well under the remoting frame size (<see cref="RemoteMessageLimits"/>, counted in
/// the binary layout they are serialized in); they are independent of each other, so they are sent at once.
/// </summary>
public sealed class LearnerLabelSink(IActorRef learner, AskPolicy asks, Action retried) : ILabelSink
{
    public Task DeliverAsync(IReadOnlyList<LabeledExample> labels) =>
        Task.WhenAll(RemoteMessageLimits.Pack(labels, DecisionPointCodec.Bytes, DecisionPointCodec.BytesAtMost) // as LR2 writes them
            .Select(piece => asks.AskAsync<LabelsAccepted>(learner, new LabelsResolved([.. piece]), retried)));
}
