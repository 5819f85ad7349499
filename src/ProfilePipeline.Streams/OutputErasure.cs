namespace ProfilePipeline.Streams;

/// <summary>What erasing a user removed from the outputs.</summary>
/// <param name="ProfileRecords">Profile lines overwritten in <c>profiles.jsonl</c>.</param>
/// <param name="DeadLetters">Dead-letter lines of the user overwritten in <c>dead-letters.jsonl</c>.</param>
/// <param name="TombstonePublished">True when a tombstone (the user's key, no value) went to the scored-profile topic.</param>
public sealed record OutputErasure(long ProfileRecords, long DeadLetters, bool TombstonePublished)
{
    /// <summary>Action lines of the user overwritten in <c>actions.jsonl</c>.</summary>
    public long Actions { get; init; }
}

/// <summary>The outputs of a running pipeline, which can remove everything they published about one user.</summary>
public interface IOutputEraser
{
    Task<OutputErasure> EraseUserAsync(string userId, CancellationToken cancellationToken);
}
