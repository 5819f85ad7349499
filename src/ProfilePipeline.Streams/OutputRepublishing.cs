using System.Buffers;
using System.Text;
using Confluent.Kafka;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Streams;

/// <summary>The outputs of a running pipeline, which can publish profiles again (after a rebuild from the journal).</summary>
public interface IProfileRepublisher
{
    /// <returns>How many were published: a profile of a user erased meanwhile is not.</returns>
    Task<int> RepublishAsync(IReadOnlyList<ScoredProfile> profiles, CancellationToken cancellationToken);
}

/// <summary>Publishes rebuilt profiles to the scored-profile topic, keyed by user id like every other profile record.</summary>
public sealed class KafkaRepublisher(IProducer<byte[]?, byte[]?> producer, KafkaTopics topics, Erasures? erasures) : IProfileRepublisher
{
    public async Task<int> RepublishAsync(IReadOnlyList<ScoredProfile> profiles, CancellationToken cancellationToken)
    {
        var sends = new List<Task>(profiles.Count);
        foreach (var profile in profiles)
        {
            if (erasures?.Suppresses(profile.Features.UserId, profile.Features.AsOf) == true)
                continue;
            var buffer = new ArrayBufferWriter<byte>(2048);
            ProfileJson.WriteProfile(buffer, profile);
            sends.Add(producer.ProduceAsync(topics.Profiles,
                new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(profile.Features.UserId), Value = buffer.WrittenSpan.ToArray() },
                cancellationToken));
        }
        await Task.WhenAll(sends).ConfigureAwait(false);
        return sends.Count;
    }
}
