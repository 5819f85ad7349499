using Akka.Configuration;

namespace ProfilePipeline.Entities.Storage;

/// <summary>The settings shared by <see cref="SqliteJournal"/> and <see cref="SqliteSnapshotStore"/>, from their plugin section.</summary>
public sealed record SqliteStoreSettings(string Database, SqliteSynchronous Synchronous, int MaxWritesPerCommit)
{
    public static SqliteStoreSettings From(Config config)
    {
        var database = config.GetString("database");
        if (string.IsNullOrWhiteSpace(database))
            throw new ConfigurationException("the SQLite journal and snapshot store need 'database', the path of the SQLite file");
        var synchronous = ParseSynchronous(config.GetString("synchronous", "full"));
        var maxWrites = config.GetInt("max-writes-per-commit", 1000);
        if (maxWrites < 1)
            throw new ConfigurationException($"max-writes-per-commit = {maxWrites}: it must be at least 1");
        return new SqliteStoreSettings(database, synchronous, maxWrites);
    }

    public static SqliteSynchronous ParseSynchronous(string value) => value.ToLowerInvariant() switch
    {
        "full" => SqliteSynchronous.Full,
        "normal" => SqliteSynchronous.Normal,
        _ => throw new ConfigurationException($"synchronous = '{value}': use full (every commit flushed to disk) or normal (survives a process crash, not a power loss)"),
    };
}
