using Microsoft.Data.Sqlite;

namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// The writer connection as the queued writes see it: statements are prepared once per SQL text and reused,
/// so a group commit of a thousand inserts parses its SQL once.
/// </summary>
public sealed class SqliteWriteContext : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);
    private SqliteTransaction? _transaction;

    internal SqliteWriteContext(SqliteConnection connection) => _connection = connection;

    internal SqliteConnection Connection => _connection;

    /// <summary>
    /// Set by a write that erases data: after the commit, the write-ahead log is checkpointed into the database and
    /// truncated to zero bytes, so that old page images in it do not keep what was deleted.
    /// </summary>
    public bool TruncateLogAfterCommit { get; set; }

    /// <summary>Runs a statement with positional parameters $1, $2, ... and returns the number of rows changed.</summary>
    public int Execute(string sql, params object?[] values)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 0; i < values.Length; i++)
                command.Parameters.Add(new SqliteParameter("$" + (i + 1), null));
            _prepared[sql] = command;
        }
        command.Transaction = _transaction;
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        return command.ExecuteNonQuery();
    }

    internal void InTransaction(Action work)
    {
        _transaction = _connection.BeginTransaction(deferred: false);
        try
        {
            work();
            _transaction.Commit();
        }
        catch
        {
            _transaction.Rollback();
            throw;
        }
        finally
        {
            _transaction.Dispose();
            _transaction = null;
        }
    }

    public void Dispose()
    {
        foreach (var command in _prepared.Values)
            command.Dispose();
        _prepared.Clear();
    }
}
