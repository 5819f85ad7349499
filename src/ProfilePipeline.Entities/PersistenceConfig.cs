using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace ProfilePipeline.Entities;

/// <summary>HOCON for the journal and snapshot store on Akka.Persistence.Sql, SQLite (embedded) or PostgreSQL.</summary>
public static class PersistenceConfig
{
    public const string SqliteProvider = "SQLite.MS";
    public const string PostgresProvider = "PostgreSQL.15";

    /// <summary>
    /// The embedded default: the journal and the snapshot store in one SQLite file in WAL mode, written through
    /// one writer with group commit (<see cref="Storage.SqliteStore"/>). With <paramref name="synchronous"/> Full
    /// every commit is flushed to disk before any entity's write is acknowledged.
    /// </summary>
    public static Config Sqlite(string databasePath, Storage.SqliteSynchronous synchronous = Storage.SqliteSynchronous.Full, int maxWritesPerCommit = 1000)
    {
        var database = Quote(Path.GetFullPath(databasePath));
        var sync = synchronous.ToString().ToLowerInvariant();
        // Both plugins name the same file: they share its one writer (SqliteStore).
        string Plugin(string kind, string className) => $$"""
              {{kind}} {
                plugin = "akka.persistence.{{kind}}.sqlite"
                sqlite {
                  class = "ProfilePipeline.Entities.Storage.{{className}}, ProfilePipeline.Entities"
                  plugin-dispatcher = "akka.actor.default-dispatcher"
                  database = "{{database}}"
                  synchronous = {{sync}}
                  max-writes-per-commit = {{maxWritesPerCommit}}
                }
              }
            """;
        return ConfigurationFactory.ParseString(
            "akka.persistence {\n" + Plugin("journal", "SqliteJournal") + Plugin("snapshot-store", "SqliteSnapshotStore") + "}\n");
    }

    /// <summary>
    /// The same SQLite file through Akka.Persistence.Sql (linq2db), kept to compare against: the journal on one
    /// file and the snapshot store on a second one beside it, both in WAL mode. Measured here it commits one
    /// transaction per persisted write (see benchmarks/), which is why the embedded default is <see cref="Sqlite"/>.
    /// Reads run in deferred transactions ("read-uncommitted" maps to BEGIN DEFERRED) so that recovery never
    /// takes the write lock.
    /// </summary>
    public static Config SqliteOnAkkaPersistenceSql(string journalPath)
    {
        var journal = Path.GetFullPath(journalPath);
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        var snapshots = Path.Combine(Path.GetDirectoryName(journal)!, Path.GetFileNameWithoutExtension(journal) + "-snapshots" + Path.GetExtension(journal));
        EnableWriteAheadLog(journal);
        EnableWriteAheadLog(snapshots);
        return ConfigurationFactory.ParseString("""
                akka.persistence.journal.sql.read-isolation-level = read-uncommitted
                akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted
                akka.persistence.journal.sql.parallelism = 1
                """)
            .WithFallback(Sql($"Data Source={journal};Pooling=True", $"Data Source={snapshots};Pooling=True", SqliteProvider));
    }

    public static Config Sql(string connectionString, string providerName) => Sql(connectionString, connectionString, providerName);

    public static Config Sql(string journalConnection, string snapshotConnection, string providerName) =>
        ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = "{{Quote(journalConnection)}}"
                  provider-name = "{{providerName}}"
                  auto-initialize = true
                  {{(providerName.StartsWith("PostgreSQL", StringComparison.Ordinal)
                      ? "class = \"ProfilePipeline.Entities.Storage.ErasingSqlJournal, ProfilePipeline.Entities\""
                      : "")}}
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = "{{Quote(snapshotConnection)}}"
                  provider-name = "{{providerName}}"
                  auto-initialize = true
                }
              }
            }
            """).WithFallback(SqlPersistence.DefaultConfiguration);

    private static string Quote(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"");

    /// <summary>WAL lets readers run beside the journal writer and turns each commit into one sequential append.</summary>
    public static void EnableWriteAheadLog(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite refused WAL mode on {databasePath} (got '{mode}')");
    }
}
