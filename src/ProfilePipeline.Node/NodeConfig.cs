using Akka.Configuration;
using ProfilePipeline.Entities;
using ProfilePipeline.Entities.Storage;

namespace ProfilePipeline.Node;

/// <summary>Builds the node's HOCON: command-line overrides, then --config, then config/profilepipeline.conf, then storage.</summary>
public static class NodeConfig
{
    public const string DefaultPseudonymKey = "dev-only-key-change-me-0123456789";

    public static Config Load(string? overrideFile, string dataDirectory, string? extraHocon = null)
    {
        var defaultsPath = Path.Combine(AppContext.BaseDirectory, "config", "profilepipeline.conf");
        if (!File.Exists(defaultsPath))
            throw new FileNotFoundException($"default configuration {defaultsPath} is missing from the build output");
        var config = ConfigurationFactory.ParseString(File.ReadAllText(defaultsPath));
        if (overrideFile is not null)
        {
            if (!File.Exists(overrideFile))
                throw new FileNotFoundException($"--config {overrideFile} does not exist");
            config = ConfigurationFactory.ParseString(File.ReadAllText(overrideFile)).WithFallback(config);
        }
        if (!string.IsNullOrWhiteSpace(extraHocon))
            config = ConfigurationFactory.ParseString(extraHocon).WithFallback(config);
        config = FromEnvironment().WithFallback(config);
        return config.WithFallback(ProfileSerializer.Configuration).WithFallback(ProtocolSerializer.Configuration)
            .WithFallback(Learning.LearnerSerializer.Configuration)
            .WithFallback(Storage(config, dataDirectory));
    }

    /// <summary>Environment variables that override a setting, by HOCON path.</summary>
    public static readonly IReadOnlyDictionary<string, string> EnvironmentOverrides = new Dictionary<string, string>
    {
        ["PROFILE_PIPELINE_PSEUDONYM_KEY"] = "profile-pipeline.pseudonym-key",
        ["PROFILE_PIPELINE_STORAGE"] = "profile-pipeline.storage.provider",
        ["PROFILE_PIPELINE_POSTGRES"] = "profile-pipeline.storage.postgresql-connection-string",
        ["PROFILE_PIPELINE_HOSTNAME"] = "akka.remote.dot-netty.tcp.hostname",
        ["PROFILE_PIPELINE_PORT"] = "akka.remote.dot-netty.tcp.port",
        ["PROFILE_PIPELINE_KAFKA_GROUP"] = "profile-pipeline.kafka.group-id",
        ["PROFILE_PIPELINE_ADMIN_HOST"] = "profile-pipeline.admin.host",
        ["PROFILE_PIPELINE_ADMIN_PORT"] = "profile-pipeline.admin.port",
        ["PROFILE_PIPELINE_ADMIN_TOKEN"] = "profile-pipeline.admin.token",
    };

    // Akka's HOCON does not resolve ${?VAR} from the environment, so overrides are applied here.
    private static Config FromEnvironment()
    {
        var lines = EnvironmentOverrides
            .Select(kv => (Path: kv.Value, Value: Environment.GetEnvironmentVariable(kv.Key)))
            .Where(o => !string.IsNullOrEmpty(o.Value))
            .Select(o => $"{o.Path} = \"{o.Value!.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    private static Config Storage(Config config, string dataDirectory)
    {
        var provider = config.GetString("profile-pipeline.storage.provider", "sqlite");
        switch (provider.ToLowerInvariant())
        {
            case "sqlite":
                return PersistenceConfig.Sqlite(Path.Combine(dataDirectory, config.GetString("profile-pipeline.storage.sqlite-file")),
                    SqliteStoreSettings.ParseSynchronous(config.GetString("profile-pipeline.storage.sqlite-synchronous", "full")));
            case "sqlite-akka-persistence-sql":
                return PersistenceConfig.SqliteOnAkkaPersistenceSql(Path.Combine(dataDirectory, config.GetString("profile-pipeline.storage.sqlite-file")));
            case "postgresql" or "postgres":
                var connection = config.GetString("profile-pipeline.storage.postgresql-connection-string");
                if (string.IsNullOrWhiteSpace(connection))
                    throw new ConfigurationException("storage.provider = postgresql needs profile-pipeline.storage.postgresql-connection-string (or PROFILE_PIPELINE_POSTGRES)");
                return ConfigurationFactory.ParseString("akka.persistence.journal.sql.parallelism = 4")
                    .WithFallback(PersistenceConfig.Sql(connection, PersistenceConfig.PostgresProvider));
            default:
                throw new ConfigurationException($"profile-pipeline.storage.provider = '{provider}': use sqlite, postgresql or sqlite-akka-persistence-sql");
        }
    }
}
