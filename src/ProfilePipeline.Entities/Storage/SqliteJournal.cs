using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Microsoft.Data.Sqlite;

namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// The embedded journal: events in a SQLite file in WAL mode, written through the file's single writer with
/// group commit (<see cref="SqliteStore"/>), read with prepared statements on pooled connections.
/// </summary>
public sealed class SqliteJournal : AsyncWriteJournal
{
    private const string Insert = "INSERT INTO journal (persistence_id, sequence_nr, created, serializer_id, manifest, writer_uuid, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)";

    private readonly SqliteStoreLease _lease;
    private readonly Akka.Serialization.Serialization _serialization;

    public SqliteJournal(Config config)
    {
        _lease = new SqliteStoreLease(config, "journal");
        _serialization = Context.System.Serialization;
    }

    private SqliteStore Store => _lease.Store;

    protected override void PreStart()
    {
        _lease.Take();
        base.PreStart();
    }

    protected override void PostStop()
    {
        base.PostStop();
        _lease.GiveBack();
    }

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        // Serialized here, on the journal's thread; a write that cannot be serialized is rejected alone.
        var writes = new List<SerializedEvent[]>();
        var results = new List<Exception?>();
        foreach (var write in messages)
        {
            try
            {
                writes.Add([.. ((IImmutableList<IPersistentRepresentation>)write.Payload).Select(Serialize)]);
                results.Add(null);
            }
            catch (Exception e)
            {
                results.Add(e);
            }
        }
        if (writes.Count == 0)
            return results.ToImmutableList();

        await Store.WriteAsync(context =>
        {
            foreach (var events in writes)
                foreach (var e in events)
                    context.Execute(Insert, e.PersistenceId, e.SequenceNr, e.Created, e.SerializerId, e.Manifest, e.WriterUuid, e.Payload);
        }).ConfigureAwait(false);
        return results.ToImmutableList();
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        Store.WriteAsync(context =>
        {
            // Remember the highest number first, so that deleting every event does not let a new one reuse it.
            context.Execute("""
                INSERT INTO journal_highest (persistence_id, sequence_nr)
                SELECT $1, MAX(sequence_nr) FROM journal WHERE persistence_id = $1 AND sequence_nr <= $2 HAVING COUNT(*) > 0
                ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = MAX(sequence_nr, excluded.sequence_nr)
                """, persistenceId, toSequenceNr);
            context.Execute("DELETE FROM journal WHERE persistence_id = $1 AND sequence_nr <= $2", persistenceId, toSequenceNr);
            // Deleting up to long.MaxValue is an erasure: nothing of the persistence id may remain, not even its name.
            if (toSequenceNr == long.MaxValue)
            {
                context.Execute("DELETE FROM journal_highest WHERE persistence_id = $1", persistenceId);
                context.TruncateLogAfterCommit = true;
            }
        });

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var sender = ActorRefs.NoSender;
        return Store.ReadAsync(connection =>
        {
            if (max <= 0)
                return 0;
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT sequence_nr, serializer_id, manifest, writer_uuid, payload, created FROM journal
                WHERE persistence_id = $1 AND sequence_nr >= $2 AND sequence_nr <= $3 ORDER BY sequence_nr LIMIT $4
                """;
            command.Parameters.AddWithValue("$1", persistenceId);
            command.Parameters.AddWithValue("$2", fromSequenceNr);
            command.Parameters.AddWithValue("$3", toSequenceNr);
            command.Parameters.AddWithValue("$4", max);
            using var reader = command.ExecuteReader();
            var replayed = 0;
            while (reader.Read())
            {
                var payload = _serialization.Deserialize((byte[])reader.GetValue(4), reader.GetInt32(1), reader.GetString(2));
                recoveryCallback(new Persistent(payload, reader.GetInt64(0), persistenceId, string.Empty, false, sender, reader.GetString(3), reader.GetInt64(5)));
                replayed++;
            }
            return replayed;
        });
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not ListPersistenceIds list)
            return base.ReceivePluginInternal(message);
        // The range [prefix, prefix + U+FFFF) walks the (persistence_id, sequence_nr) index instead of a LIKE scan.
        var end = list.Prefix + '\uffff';
        Store.ReadAsync(connection =>
        {
            using var page = connection.CreateCommand();
            page.CommandText = "SELECT DISTINCT persistence_id FROM journal WHERE persistence_id >= $1 AND persistence_id > $2 AND persistence_id < $3 "
                               + "ORDER BY persistence_id LIMIT $4";
            page.Parameters.AddWithValue("$1", list.Prefix);
            page.Parameters.AddWithValue("$2", list.After);
            page.Parameters.AddWithValue("$3", end);
            page.Parameters.AddWithValue("$4", list.Limit);
            var ids = ImmutableArray.CreateBuilder<string>();
            using (var reader = page.ExecuteReader())
                while (reader.Read())
                    ids.Add(reader.GetString(0));
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(DISTINCT persistence_id) FROM journal WHERE persistence_id >= $1 AND persistence_id < $2";
            count.Parameters.AddWithValue("$1", list.Prefix);
            count.Parameters.AddWithValue("$2", end);
            return new PersistenceIdsListed(ids.ToImmutable(), list.After.Length == 0 ? (long)count.ExecuteScalar()! : -1);
        }).PipeTo(Sender, failure: e => new Status.Failure(e));
        return true;
    }

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        Store.ReadAsync(connection => HighestSequenceNr(connection, persistenceId));

    internal static long HighestSequenceNr(SqliteConnection connection, string persistenceId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT MAX(COALESCE((SELECT MAX(sequence_nr) FROM journal WHERE persistence_id = $1), 0),
                       COALESCE((SELECT sequence_nr FROM journal_highest WHERE persistence_id = $1), 0))
            """;
        command.Parameters.AddWithValue("$1", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    private SerializedEvent Serialize(IPersistentRepresentation message)
    {
        var payload = message.Payload;
        var serializer = _serialization.FindSerializerFor(payload);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, payload);
        var created = message.Timestamp > 0 ? message.Timestamp : DateTime.UtcNow.Ticks;
        return new SerializedEvent(message.PersistenceId, message.SequenceNr, created, serializer.Identifier, manifest,
            message.WriterGuid ?? string.Empty, serializer.ToBinary(payload));
    }

    private sealed record SerializedEvent(string PersistenceId, long SequenceNr, long Created, int SerializerId, string Manifest, string WriterUuid, byte[] Payload);
}
