using Microsoft.Data.Sqlite;
using ProfilePipeline.Entities.Storage;

namespace ProfilePipeline.Entities.Tests;

/// <summary>The embedded store's single writer on a real SQLite file: group commit, isolation of a bad write, drain on close.</summary>
public sealed class SqliteStoreSpecs : IClassFixture<SqliteJournalFixture>
{
    private readonly SqliteJournalFixture _db;

    public SqliteStoreSpecs(SqliteJournalFixture db) => _db = db;

    private string NewFile() => Path.Combine(_db.Directory, Guid.NewGuid().ToString("N") + ".db");

    private static Task InsertAsync(SqliteStore store, string id, long sequenceNr) =>
        store.WriteAsync(c => c.Execute(
            "INSERT INTO journal (persistence_id, sequence_nr, created, serializer_id, manifest, writer_uuid, payload) VALUES ($1, $2, 0, 1, '', '', $3)",
            id, sequenceNr, new byte[] { 1, 2, 3 }));

    private static long Count(string file, string where = "1=1")
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM journal WHERE {where}";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Writes_queued_together_are_committed_in_a_few_transactions()
    {
        var file = NewFile();
        var store = SqliteStore.Acquire(file, SqliteSynchronous.Full, maxOperationsPerCommit: 1000);
        using var writerInside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        try
        {
            // The writer is held inside a first write while the others are queued, so that they are queued together
            // however slowly this thread runs (a busy machine queued them while the writer committed, once 5 times).
            var holding = store.WriteAsync(_ =>
            {
                writerInside.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            });
            Assert.True(writerInside.Wait(TimeSpan.FromSeconds(30)), "the writer did not start");
            var writes = Enumerable.Range(0, 2000).Select(i => InsertAsync(store, "p" + (i % 50), i)).ToList();
            release.Set();
            await Task.WhenAll([holding, .. writes]);

            Assert.Equal(2000, Count(file));
            // The holding write alone, then the 2,000 in two batches of the most a commit takes.
            Assert.Equal(3, store.Commits);
        }
        finally
        {
            store.Release();
        }
    }

    [Fact]
    public async Task A_write_that_fails_fails_alone_and_the_writes_beside_it_commit()
    {
        var file = NewFile();
        var store = SqliteStore.Acquire(file, SqliteSynchronous.Full, maxOperationsPerCommit: 1000);
        try
        {
            await InsertAsync(store, "taken", 1);
            var before = Enumerable.Range(0, 100).Select(i => InsertAsync(store, "a", i)).ToList();
            var duplicate = InsertAsync(store, "taken", 1);
            var after = Enumerable.Range(0, 100).Select(i => InsertAsync(store, "b", i)).ToList();

            await Task.WhenAll(before.Concat(after));
            var error = await Assert.ThrowsAsync<SqliteException>(() => duplicate);
            Assert.Contains("UNIQUE", error.Message);
            Assert.Equal(201, Count(file));
        }
        finally
        {
            store.Release();
        }
    }

    [Fact]
    public async Task Releasing_the_store_commits_every_write_it_accepted_and_later_writes_are_refused()
    {
        var file = NewFile();
        var store = SqliteStore.Acquire(file, SqliteSynchronous.Normal, maxOperationsPerCommit: 10);
        var shared = SqliteStore.Acquire(file, SqliteSynchronous.Normal, maxOperationsPerCommit: 10);
        Assert.Same(store, shared);

        var writes = Enumerable.Range(0, 500).Select(i => InsertAsync(store, "p", i)).ToList();
        shared.Release();
        store.Release();

        await Task.WhenAll(writes);
        Assert.Equal(500, Count(file));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => InsertAsync(store, "p", 1000));
    }
}
