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
}
