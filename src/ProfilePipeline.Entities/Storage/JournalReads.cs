using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;

namespace ProfilePipeline.Entities.Storage;

/// <summary>One journal entry as read back: its sequence number, write time and payload.</summary>
public sealed record JournalEntry(long SequenceNr, DateTime Written, object Payload);

/// <summary>A range of a persistence id's journal, and the highest sequence number the journal has for the id.</summary>
public sealed record JournalRange(long HighestSequenceNr, ImmutableArray<JournalEntry> Entries);

/// <summary>
/// Asks a journal for the persistence ids it holds that start with <see cref="Prefix"/>, in ordinal order after
/// <see cref="After"/>, at most <see cref="Limit"/>. Answered with <see cref="PersistenceIdsListed"/> by the journals
/// of this project (<see cref="SqliteJournal"/>, <see cref="ErasingSqlJournal"/>); other journals do not answer.
/// </summary>
public sealed record ListPersistenceIds(string Prefix, string After, int Limit);

/// <param name="Total">How many ids with the prefix the journal holds in all; given with the first page (empty <c>After</c>), -1 on the others.</param>
public sealed record PersistenceIdsListed(ImmutableArray<string> Ids, long Total);

/// <summary>
/// Reads a persistence id's events straight from the journal with the replay protocol every journal plugin answers
/// (the one recovery uses), without starting the entity. Used for a profile's history and to rebuild a profile.
/// </summary>
public static class JournalReads
{
    /// <summary>Entries <paramref name="fromSequenceNr"/> to <paramref name="toSequenceNr"/>, at most <paramref name="max"/>.</summary>
    public static Task<JournalRange> ReadAsync(ActorSystem system, IActorRef journal, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, TimeSpan timeout)
    {
        var result = new TaskCompletionSource<JournalRange>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(Props.Create(() => new Reader(journal, persistenceId, fromSequenceNr, toSequenceNr, max, result, timeout)));
        return result.Task;
    }

    /// <summary>The newest <paramref name="count"/> entries: the highest sequence number first, then the range below it.</summary>
    public static async Task<JournalRange> ReadLastAsync(ActorSystem system, IActorRef journal, string persistenceId, int count, TimeSpan timeout)
    {
        var highest = (await ReadAsync(system, journal, persistenceId, 1, long.MaxValue, 0, timeout).ConfigureAwait(false)).HighestSequenceNr;
        if (highest == 0 || count <= 0)
            return new JournalRange(highest, []);
        // As of the first read: an entry written since is not among the entries, so it is not counted either.
        var last = await ReadAsync(system, journal, persistenceId, Math.Max(1, highest - count + 1), highest, count, timeout).ConfigureAwait(false);
        return last with { HighestSequenceNr = highest };
    }

    /// <summary>Every id with <paramref name="prefix"/>, page by page.</summary>
    public static async IAsyncEnumerable<PersistenceIdsListed> ListAsync(IActorRef journal, string prefix, int pageSize, TimeSpan timeout)
    {
        var after = "";
        while (true)
        {
            PersistenceIdsListed page;
            try
            {
                page = await journal.Ask<PersistenceIdsListed>(new ListPersistenceIds(prefix, after, pageSize), timeout).ConfigureAwait(false);
            }
            catch (AskTimeoutException e)
            {
                throw new InvalidOperationException($"the journal did not list its persistence ids within {timeout.TotalSeconds:0} s: only the SQLite and "
                    + "PostgreSQL journals of ProfilePipeline can", e);
            }
            yield return page;
            if (page.Ids.Length < pageSize)
                yield break;
            after = page.Ids[^1];
        }
    }

    private sealed class Reader : ReceiveActor
    {
        private readonly ImmutableArray<JournalEntry>.Builder _entries = ImmutableArray.CreateBuilder<JournalEntry>();

        public Reader(IActorRef journal, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, TaskCompletionSource<JournalRange> result,
            TimeSpan timeout)
        {
            Receive<ReplayedMessage>(m => _entries.Add(new JournalEntry(m.Persistent.SequenceNr, new DateTime(m.Persistent.Timestamp, DateTimeKind.Utc),
                m.Persistent.Payload)));
            Receive<RecoverySuccess>(m => Finish(() => result.TrySetResult(new JournalRange(m.HighestSequenceNr, _entries.ToImmutable()))));
            Receive<ReplayMessagesFailure>(m => Finish(() => result.TrySetException(m.Cause)));
            Receive<ReceiveTimeout>(_ => Finish(() => result.TrySetException(
                new TimeoutException($"the journal did not replay {persistenceId} within {timeout.TotalSeconds:0} s"))));
            Context.SetReceiveTimeout(timeout);
            journal.Tell(new ReplayMessages(fromSequenceNr, toSequenceNr, max, persistenceId, Self));
        }

        private void Finish(Action complete)
        {
            complete();
            Context.Stop(Self);
        }
    }
}
