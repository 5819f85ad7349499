using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Serialization;

namespace ProfilePipeline.Node.Bench;

/// <summary>
/// The storage limit: the same events, serialized as the journal stores them, inserted into SQLite (WAL, every
/// commit flushed) with a prepared statement in transactions of <see cref="RowsPerTransaction"/>, with no actor,
/// stream or recovery in the way.
/// </summary>
public static class StorageLimit
{
    public const int RowsPerTransaction = 1000;

    public static double RowsPerSecond(string databasePath, IReadOnlyList<BehaviorEvent> events)
    {
        var rows = events.Select(e => (e.UserId, Payload: BehaviorEventCodec.ToBytes(new BehaviorsRecorded([e], ImmutableArray<SourcePosition>.Empty)))).ToList();
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        Execute(connection, "CREATE TABLE journal (ordering INTEGER PRIMARY KEY, persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, payload BLOB NOT NULL, UNIQUE (persistence_id, sequence_nr))");
        var sequence = new Dictionary<string, long>(StringComparer.Ordinal);
        var stopwatch = Stopwatch.StartNew();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO journal (persistence_id, sequence_nr, payload) VALUES ($1, $2, $3)";
        var id = insert.Parameters.Add("$1", SqliteType.Text);
        var nr = insert.Parameters.Add("$2", SqliteType.Integer);
        var payload = insert.Parameters.Add("$3", SqliteType.Blob);
        for (var start = 0; start < rows.Count; start += RowsPerTransaction)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            for (var i = start; i < Math.Min(rows.Count, start + RowsPerTransaction); i++)
            {
                var (user, bytes) = rows[i];
                var next = sequence.TryGetValue(user, out var last) ? last + 1 : 1;
                sequence[user] = next;
                id.Value = user;
                nr.Value = next;
                payload.Value = bytes;
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        stopwatch.Stop();
        return rows.Count / stopwatch.Elapsed.TotalSeconds;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
