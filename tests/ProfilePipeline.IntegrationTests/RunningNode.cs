using System.Text.Json;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Node;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>A node running `run` in process on a slow generated stream, with its admin endpoint up; disposing drains it.</summary>
public sealed class RunningNode : IAsyncDisposable
{
    private static readonly GeneratorSettings Stream = new() { Events = 200_000, Users = 300, Seed = 7 };
    private readonly CancellationTokenSource _drain = new();
    private readonly Task<RunSummary> _run;

    private RunningNode(string dataDirectory, Task<RunSummary> run)
    {
        DataDirectory = dataDirectory;
        _run = run;
    }

    public string DataDirectory { get; }
    public Uri Url { get; private set; } = null!;
    public string Token { get; private set; } = "";

    /// <summary>A user id of the generated stream, as the shop knows it.</summary>
    public static string SomeUser => RecordSources.ReadGenerator(Stream, -1).Select(r => r[CanonicalFields.UserId]).First(u => u is not null)!;

    /// <param name="config">HOCON overriding the node's configuration, if any.</param>
    public static async Task<RunningNode> StartAsync(string? config = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "pp-admin-" + Guid.NewGuid().ToString("N"));
        string? configFile = null;
        if (config is not null)
        {
            Directory.CreateDirectory(data);
            configFile = Path.Combine(data, "override.conf");
            await File.WriteAllTextAsync(configFile, config);
        }
        var options = new RunOptions
        {
            DataDirectory = data, Events = Stream.Events, Users = Stream.Users, Seed = Stream.Seed, Rate = 4_000, ProgressInterval = TimeSpan.FromSeconds(30),
            ConfigFile = configFile,
        };
        var drain = new CancellationTokenSource();
        var node = new RunningNode(data, Task.Run(() => new PipelineRunner(options, TextWriter.Null).RunAsync(drain.Token)));
        node._drain.Token.Register(drain.Cancel);
        var addressFile = Path.Combine(data, "admin.json");
        await Eventually.HoldsAsync(() => File.Exists(addressFile) || node._run.IsCompleted, TimeSpan.FromSeconds(60), "the admin endpoint");
        if (node._run.IsCompleted)
            await node._run; // surfaces the failure
        using var address = JsonDocument.Parse(await File.ReadAllTextAsync(addressFile));
        node.Url = new Uri(address.RootElement.GetProperty("url").GetString()!);
        node.Token = (await File.ReadAllTextAsync(address.RootElement.GetProperty("tokenFile").GetString()!)).Trim();
        return node;
    }

    /// <summary>The generated stream the node reads, for a replay of the same input.</summary>
    public static GeneratorSettings Input => Stream;

    /// <summary>Drains the node and keeps its data folder.</summary>
    public async Task<RunSummary> StopAsync()
    {
        await _drain.CancelAsync();
        return await _run;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }
}
