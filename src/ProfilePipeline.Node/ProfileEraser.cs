using Akka.Actor;
using ProfilePipeline.Entities;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>What an erasure removed.</summary>
public sealed record ErasureReport(string UserId, long ErasedAt, long EventsErased, OutputErasure Outputs);

/// <summary>
/// Erases a user: the entity records the erasure and deletes its journal events and snapshots, then the running
/// outputs remove what they published (lines of the output files, or a tombstone on the scored-profile topic).
/// </summary>
public sealed class ProfileEraser(IActorRef profiles)
{
    private static readonly TimeSpan EntityTimeout = TimeSpan.FromSeconds(30);
    private volatile IOutputEraser? _outputs;

    /// <summary>Set by the run once its outputs are open; until then only the entity is erased.</summary>
    public IOutputEraser? Outputs
    {
        get => _outputs;
        set => _outputs = value;
    }

    /// <param name="userId">The pseudonymous id, as the entity and the outputs know it.</param>
    public async Task<ErasureReport> EraseAsync(string userId, CancellationToken cancellationToken)
    {
        var erased = await profiles.Ask<ProfileErased>(new EraseProfile(userId), EntityTimeout, cancellationToken).ConfigureAwait(false);
        var outputs = _outputs is { } eraser
            ? await eraser.EraseUserAsync(userId, cancellationToken).ConfigureAwait(false)
            : new OutputErasure(0, 0, false);
        return new ErasureReport(userId, erased.ErasedAt, erased.EventsErased, outputs);
    }
}
