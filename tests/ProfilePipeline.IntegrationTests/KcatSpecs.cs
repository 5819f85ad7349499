using System.Diagnostics;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Testing;

namespace ProfilePipeline.IntegrationTests;

/// <summary>An outside client: kcat produces the events and reads the scored profiles. Skipped where kcat is not installed.</summary>
[Collection(nameof(PipelineRuns))]
public sealed class KcatSpecs(KafkaBroker broker) : IClassFixture<KafkaBroker>
{
    [SkippableFact]
    public async Task Events_produced_with_kcat_come_back_as_profiles_kcat_can_read()
    {
        Skip.If(!File.Exists("/usr/bin/kcat"), "kcat is not installed (.ci/run installs it with apt-get install kcat)");
        var run = new KafkaRun(broker);
        var settings = new GeneratorSettings { Events = 2_000, Users = 200, Seed = 8, MalformedShare = 0, DuplicateShare = 0 };
        var generator = new BehaviorGenerator(settings);
        var lines = generator.Generate().Select(r => r.Line).ToList();
        var firstBroker = broker.BootstrapServers.Split(',')[0];
        await KcatAsync(["-b", firstBroker, "-P", "-t", run.Events], string.Join("\n", lines) + "\n");

        var summary = await KafkaPipelineSpecs.RunUntilCommittedAsync(run, TimeSpan.FromMinutes(2));

        var keys = (await KcatAsync(["-b", firstBroker, "-C", "-t", run.Profiles, "-o", "beginning", "-e", "-q", "-f", "%k\\n"], null))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(summary.ProfilesWritten, keys.Length);
        Assert.Equal(summary.Users, keys.Distinct().Count());
    }

    private static async Task<string> KcatAsync(string[] arguments, string? input)
    {
        var start = new ProcessStartInfo("kcat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var kcat = Process.Start(start)!;
        if (input is not null)
            await kcat.StandardInput.WriteAsync(input);
        kcat.StandardInput.Close();
        var output = kcat.StandardOutput.ReadToEndAsync();
        var errors = kcat.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await kcat.WaitForExitAsync(timeout.Token);
        Assert.True(kcat.ExitCode == 0, $"kcat {string.Join(' ', arguments)} failed: {await errors}");
        return await output;
    }
}
