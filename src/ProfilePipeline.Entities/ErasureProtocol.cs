using System.Collections.Immutable;

namespace ProfilePipeline.Entities;

/// <summary>
/// Erase one user's profile (the right to be forgotten): the erasure is recorded first, then every journal event and
/// snapshot of the entity is deleted. Replied to with <see cref="ProfileErased"/>, or a failure that names the step.
/// Idempotent: erasing again deletes whatever is left and moves the erasure time forward.
/// </summary>
public sealed record EraseProfile(string UserId) : IWithUserId;

/// <param name="ErasedAt">Epoch ms; the entity refuses events of this user at or before it from now on.</param>
/// <param name="EventsErased">How many applied events the erased profile held.</param>
public sealed record ProfileErased(string UserId, long ErasedAt, long EventsErased);

/// <summary>Asks the <see cref="ErasureRegistry"/> to record an erasure; replied to with the <see cref="ErasureRecorded"/>.</summary>
public sealed record RecordErasure(string UserId, string Key, long ErasedAt);

/// <summary>
/// The registry's journal entry: only the erasure key (<see cref="Domain.Privacy.Pseudonymizer.ErasureKey"/>) and the time,
/// never the user id.
/// </summary>
public sealed record ErasureRecorded(string Key, long ErasedAt);

/// <summary>Asks the registry for every erasure; replied to with <see cref="ErasureSet"/>.</summary>
public sealed record GetErasures
{
    public static readonly GetErasures Instance = new();
}

public sealed record ErasureSet(ImmutableDictionary<string, long> ErasedAtByKey);

/// <summary>
/// Published to every node when an erasure is recorded. Carries the pseudonymous user id, in memory only, so that the
/// outputs can drop updates of that user still in flight; the id is never stored with the erasure.
/// </summary>
public sealed record UserErased(string UserId, string Key, long ErasedAt);
