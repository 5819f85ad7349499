using Akka.Configuration;

namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// A plugin's hold on its <see cref="SqliteStore"/>, from the plugin section's settings: taken when the plugin
/// actor starts, given back when it stops (the last one back closes the file).
/// </summary>
internal sealed class SqliteStoreLease(Config pluginConfig, string plugin)
{
    private readonly SqliteStoreSettings _settings = SqliteStoreSettings.From(pluginConfig);
    private SqliteStore? _store;

    public SqliteStore Store => _store ?? throw new InvalidOperationException($"the {plugin} has not started");

    public void Take() => _store = SqliteStore.Acquire(_settings.Database, _settings.Synchronous, _settings.MaxWritesPerCommit);

    public void GiveBack()
    {
        _store?.Release();
        _store = null;
    }
}
