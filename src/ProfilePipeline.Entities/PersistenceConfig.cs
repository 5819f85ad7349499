using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace ProfilePipeline.Entities;

/// <summary>HOCON for the journal and snapshot store on Akka.Persistence.Sql, SQLite (embedded) or PostgreSQL.</summary>
public static class PersistenceConfig
{
    public const string SqliteProvider = "SQLite.MS";
    public const string PostgresProvider = "PostgreSQL.15";

    /// <summary>Journal and snapshot store on one SQLite file in WAL mode.</summary>
    public static Config Sqlite(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        EnableWriteAheadLog(full);
        return Sql($"Data Source={full};Pooling=True", SqliteProvider);
    }

    public static Config Sql(string connectionString, string providerName)
    {
        var quoted = connectionString.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = "{{quoted}}"
                  provider-name = "{{providerName}}"
                  auto-initialize = true
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = "{{quoted}}"
                  provider-name = "{{providerName}}"
                  auto-initialize = true
                }
              }
            }
            """).WithFallback(SqlPersistence.DefaultConfiguration);
    }

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
