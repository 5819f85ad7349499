using Akka.Configuration;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Entities.Tests;

/// <summary>A fresh SQLite database file (WAL) per test class, journal and snapshots together, deleted afterwards.</summary>
public sealed class SqliteJournalFixture : IDisposable
{
    public SqliteJournalFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "pp-entity-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        DatabasePath = Path.Combine(Directory, "journal.db");
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public Config Config(int snapshotEvery) => EntityConfig(snapshotEvery).WithFallback(PersistenceConfig.Sqlite(DatabasePath));

    /// <summary>The entity's settings for tests, with the serializer, for any journal.</summary>
    public static Config EntityConfig(int snapshotEvery) => ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            profile-pipeline.profile {
              affinity-half-life = 7d
              affinity-capacity = 32
              top-k = 5
              session-gap = 30m
              allowed-lateness = 1h
              recent-event-ids = 64
              distinct-capacity = 256
              source-capacity = 8
              affinity-weights = [1.0, 1.0, 0.5, 3.0, 0.0, 2.0, 5.0]
              snapshot-every = {{snapshotEvery}}
              number-of-shards = 10
            }
            """)
        .WithFallback(ProfileSerializer.Configuration);

    /// <summary>Rows of a persistence id in the journal or snapshot table.</summary>
    public long CountRows(string table, string persistenceId)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table} WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Whether any row of a persistence id in the table holds <paramref name="text"/> in its payload.</summary>
    public bool AnyRowContains(string table, string persistenceId, string text)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT payload FROM {table} WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        while (reader.Read())
        {
            if (((byte[])reader[0]).AsSpan().IndexOf(needle) >= 0)
                return true;
        }
        return false;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finalizing connection; the temp folder is cleaned by the OS.
        }
    }
}
