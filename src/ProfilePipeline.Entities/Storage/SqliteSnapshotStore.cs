using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace ProfilePipeline.Entities.Storage;

/// <summary>The embedded snapshot store: snapshots in the same SQLite file as the journal, written through its single writer.</summary>
public sealed class SqliteSnapshotStore : SnapshotStore
{
    private readonly SqliteStoreLease _lease;
    private readonly Akka.Serialization.Serialization _serialization;

    public SqliteSnapshotStore(Config config)
    {
        _lease = new SqliteStoreLease(config, "snapshot store");
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

    protected override Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        Store.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT sequence_nr, created, serializer_id, manifest, payload FROM snapshot
                WHERE persistence_id = $1 AND sequence_nr <= $2 AND sequence_nr >= $3 AND created <= $4 AND created >= $5
                ORDER BY sequence_nr DESC LIMIT 1
                """;
            command.Parameters.AddWithValue("$1", persistenceId);
            command.Parameters.AddWithValue("$2", criteria.MaxSequenceNr);
            command.Parameters.AddWithValue("$3", criteria.MinSequenceNr);
            command.Parameters.AddWithValue("$4", criteria.MaxTimeStamp.Ticks);
            command.Parameters.AddWithValue("$5", criteria.MinTimestamp?.Ticks ?? 0L);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
                return null;
            var snapshot = _serialization.Deserialize((byte[])reader.GetValue(4), reader.GetInt32(2), reader.GetString(3));
            var metadata = new SnapshotMetadata(persistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc));
            return new SelectedSnapshot(metadata, snapshot);
        });

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serializer = _serialization.FindSerializerFor(snapshot);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, snapshot);
        var bytes = serializer.ToBinary(snapshot);
        return Store.WriteAsync(context => context.Execute(
            "INSERT OR REPLACE INTO snapshot (persistence_id, sequence_nr, created, serializer_id, manifest, payload) VALUES ($1, $2, $3, $4, $5, $6)",
            metadata.PersistenceId, metadata.SequenceNr, metadata.Timestamp.Ticks, serializer.Identifier, manifest, bytes));
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        Store.WriteAsync(context => context.Execute(
            "DELETE FROM snapshot WHERE persistence_id = $1 AND sequence_nr = $2", metadata.PersistenceId, metadata.SequenceNr));

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        Store.WriteAsync(context =>
        {
            context.Execute(
                "DELETE FROM snapshot WHERE persistence_id = $1 AND sequence_nr <= $2 AND sequence_nr >= $3 AND created <= $4 AND created >= $5",
                persistenceId, criteria.MaxSequenceNr, criteria.MinSequenceNr, criteria.MaxTimeStamp.Ticks, criteria.MinTimestamp?.Ticks ?? 0L);
            // Every snapshot up to the end of time: an erasure (see the journal's delete up to long.MaxValue).
            if (criteria.MaxSequenceNr == long.MaxValue)
                context.TruncateLogAfterCommit = true;
        });
}
