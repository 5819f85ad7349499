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
    /// The journal on one SQLite file and the snapshot store on a second one beside it, both in WAL mode.
    /// SQLite admits one writer per file, and Microsoft.Data.Sqlite answers a busy database by sleeping
    /// 150 ms; two files keep the journal's and the snapshot store's writers from ever waiting on each other.
    /// Reads run in deferred transactions ("read-uncommitted" maps to BEGIN DEFERRED) so that recovery never
    /// takes the write lock; in WAL mode they still see only committed data.
    /// </summary>
    public static Config Sqlite(string journalPath)
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
