using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// One SQLite database file shared by the journal and the snapshot store of every actor system in the process
/// that names it. SQLite admits one writer per file, so all writes go through one queue and one connection,
/// and every write waiting in the queue is committed in the same transaction (group commit): a thousand
/// entities persisting at once cost one commit, not a thousand. Reads open their own pooled connections and,
/// in WAL mode, never wait for the writer.
/// </summary>
public sealed class SqliteStore
{
    private static readonly ConcurrentDictionary<string, SqliteStore> Open = new(StringComparer.Ordinal);
    private static readonly Lock OpenLock = new();

    private readonly Channel<WriteOperation> _queue = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writerLoop;
    private readonly int _maxOperationsPerCommit;
    private int _users;
    private long _commits;

    private SqliteStore(string path, SqliteSynchronous synchronous, int maxOperationsPerCommit)
    {
        Path = path;
        _maxOperationsPerCommit = maxOperationsPerCommit;
        ReadConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, Mode = SqliteOpenMode.ReadWrite }.ToString();
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        writer.Open();
        try
        {
            Execute(writer, "PRAGMA journal_mode=WAL;");
            Execute(writer, $"PRAGMA synchronous={synchronous.ToString().ToUpperInvariant()};");
            // Deleted rows are overwritten with zeros, not just unlinked: an erased user must not stay readable in free pages.
            Execute(writer, "PRAGMA secure_delete=ON;");
            Execute(writer, SqliteSchema.Create);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        _writerLoop = Task.Factory.StartNew(() => WriteLoopAsync(writer), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public string Path { get; }

    /// <summary>Transactions committed so far: with group commit, far fewer than the writes queued.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Connection string for readers: pooled, and unable to create the file.</summary>
    public string ReadConnectionString { get; }

    /// <summary>Opens (or shares) the store of a database file; every call is paired with <see cref="Release"/>.</summary>
    public static SqliteStore Acquire(string path, SqliteSynchronous synchronous, int maxOperationsPerCommit)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        lock (OpenLock)
        {
            if (!Open.TryGetValue(fullPath, out var store))
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
                store = new SqliteStore(fullPath, synchronous, maxOperationsPerCommit);
                Open[fullPath] = store;
            }
            store._users++;
            return store;
        }
    }

    /// <summary>The last release drains the queue (every accepted write is committed) and closes the file.</summary>
    public void Release()
    {
        lock (OpenLock)
        {
            if (--_users > 0)
                return;
            Open.TryRemove(Path, out _);
            _queue.Writer.TryComplete();
        }
        _writerLoop.GetAwaiter().GetResult();
        SqliteConnection.ClearPool(new SqliteConnection(ReadConnectionString));
    }

    /// <summary>
    /// Queues a write; it runs on the writer connection inside a transaction shared with the writes queued beside
    /// it, and the task completes once that transaction has committed. Writes run in the order they are queued.
    /// </summary>
    public Task WriteAsync(Action<SqliteWriteContext> write)
    {
        var operation = new WriteOperation(write, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(operation))
            operation.Done.SetException(new ObjectDisposedException(Path, "the SQLite store is closed"));
        return operation.Done.Task;
    }

    /// <summary>Runs a read on a pooled connection of its own, off the caller's thread.</summary>
    public Task<T> ReadAsync<T>(Func<SqliteConnection, T> read) => Task.Run(() =>
    {
        using var connection = new SqliteConnection(ReadConnectionString);
        connection.Open();
        return read(connection);
    });

    private async Task WriteLoopAsync(SqliteConnection connection)
    {
        using var context = new SqliteWriteContext(connection);
        var batch = new List<WriteOperation>(_maxOperationsPerCommit);
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _maxOperationsPerCommit && _queue.Reader.TryRead(out var operation))
                    batch.Add(operation);
                CommitTogether(context, batch);
                batch.Clear();
            }
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Commits the batch in one transaction. If it fails, each write is retried in a transaction of its own, so
    /// that one bad write (a duplicate key, say) fails alone and the others still commit.
    /// </summary>
    private void CommitTogether(SqliteWriteContext context, List<WriteOperation> batch)
    {
        try
        {
            context.InTransaction(() =>
            {
                foreach (var operation in batch)
                    operation.Write(context);
            });
            Interlocked.Increment(ref _commits);
            TruncateLogIfAsked(context);
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var operation in batch)
                CommitAlone(context, operation);
            return;
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
            return;
        }
        foreach (var operation in batch)
            operation.Done.TrySetResult();
    }

    private void CommitAlone(SqliteWriteContext context, WriteOperation operation)
    {
        try
        {
            context.InTransaction(() => operation.Write(context));
            Interlocked.Increment(ref _commits);
            TruncateLogIfAsked(context);
            operation.Done.TrySetResult();
        }
        catch (Exception e)
        {
            operation.Done.TrySetException(e);
        }
    }

    /// <summary>
    /// After a commit that erased data, and before its writers are told it is done: the log is checkpointed and truncated,
    /// tried a few times over about half a second while readers hold it back, and otherwise again after the next commit.
    /// </summary>
    private void TruncateLogIfAsked(SqliteWriteContext context)
    {
        if (!context.TruncateLogAfterCommit)
            return;
        for (var attempt = 0; attempt < 25; attempt++)
        {
            if (TruncateLog(context.Connection))
            {
                context.TruncateLogAfterCommit = false;
                return;
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Checkpoints the whole log into the database and truncates it; false if a reader kept it from completing.</summary>
    private static bool TruncateLog(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        using var reader = command.ExecuteReader();
        return reader.Read() && reader.GetInt32(0) == 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record WriteOperation(Action<SqliteWriteContext> Write, TaskCompletionSource Done);
}

/// <summary>How hard a commit waits for the disk (SQLite's PRAGMA synchronous in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is flushed to disk before it is acknowledged: it survives a power loss.</summary>
    Full,

    /// <summary>Commits survive a crash of the process; the last ones before a power loss or OS crash may be lost.</summary>
    Normal,
}
