using Akka.Actor;

namespace ProfilePipeline.Streams;

/// <summary>How a stage asks an actor that may be moving (a sharded entity or index, a singleton).</summary>
/// <param name="Timeout">How long one ask may take.</param>
/// <param name="Attempts">Asks in all before the stage fails: an actor on a node that died answers once it has moved.</param>
public sealed record AskPolicy(TimeSpan Timeout, int Attempts)
{
    public static readonly AskPolicy Default = new(TimeSpan.FromSeconds(10), 6);

    /// <summary>
    /// Asks, and again after each timeout up to <see cref="Attempts"/> times; <paramref name="retried"/> is told of each
    /// repeat. Only for requests that get the same answer when asked again.
    /// </summary>
    public async Task<T> AskAsync<T>(IActorRef actor, object message, Action retried)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await actor.Ask<T>(message, Timeout).ConfigureAwait(false);
            }
            catch (AskTimeoutException) when (attempt < Attempts)
            {
                retried();
            }
        }
    }

    /// <summary>
    /// Reads a paged answer whole: asks for the first page, then for the page after the key each page names as its
    /// next, until a page names none. Keys must grow, so the reading ends.
    /// </summary>
    /// <param name="pageAfter">The request for the page after a key (the first page for null).</param>
    /// <param name="read">A page's entries and the key to ask after next.</param>
    public async Task<List<TEntry>> AskPagesAsync<TPage, TEntry>(IActorRef actor, Func<string?, object> pageAfter,
        Func<TPage, (IEnumerable<TEntry> Entries, string? Next)> read, Action retried)
    {
        var all = new List<TEntry>();
        string? after = null;
        while (true)
        {
            var (entries, next) = read(await AskAsync<TPage>(actor, pageAfter(after), retried).ConfigureAwait(false));
            all.AddRange(entries);
            if (next is null)
                return all;
            if (after is not null && string.CompareOrdinal(next, after) <= 0)
                throw new InvalidOperationException($"{actor.Path} gave pages out of order: '{next}' after '{after}'");
            after = next;
        }
    }
}
