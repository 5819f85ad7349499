using System.Text;
using System.Text.Json;
using ProfilePipeline.Ctl;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Node;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// The right to be forgotten, end to end on the embedded default: an operator erases a user with profilectl while the
/// node runs; afterwards no byte of the user is left in the database files or the output files, and a full replay of
/// the same input does not bring the user back.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class ProfileErasureSpecs
{
    private static async Task<(int Exit, string Out, string Err)> CtlAsync(RunningNode node, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new Dictionary<string, string> { [ProfileCtl.NodeVariable] = $"{node.Url.Host}:{node.Url.Port}", [ProfileCtl.TokenVariable] = node.Token };
        var exit = await ProfileCtl.RunAsync(args, output, error, name => environment.GetValueOrDefault(name));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task An_erased_user_leaves_no_trace_in_the_store_or_the_outputs_and_a_replay_does_not_bring_them_back()
    {
        var user = RunningNode.SomeUser;
        var pseudonym = new Pseudonymizer(NodeConfig.DefaultPseudonymKey).Pseudonymize(user);
        var node = await RunningNode.StartAsync();
        var data = node.DataDirectory;
        try
        {
            await Eventually.HoldsAsync(() => FilesContaining(data, pseudonym).Contains("profiles.jsonl"), TimeSpan.FromSeconds(60),
                "the user's profile in profiles.jsonl");

            var unconfirmed = await CtlAsync(node, "profile", "erase", user);
            Assert.Equal(CtlException.Usage, unconfirmed.Exit);
            Assert.Contains("--yes", unconfirmed.Err);

            var erase = await CtlAsync(node, "profile", "erase", user, "--yes", "--json");
            Assert.True(erase.Exit == 0, erase.Err);
            using (var report = JsonDocument.Parse(erase.Out))
            {
                Assert.Equal(pseudonym, report.RootElement.GetProperty("userId").GetString());
                Assert.True(report.RootElement.GetProperty("eventsErased").GetInt64() > 0);
                Assert.True(report.RootElement.GetProperty("profileRecordsErased").GetInt64() > 0);
            }
            // The stream goes on with more of the user's (old) events: they are refused, and nothing of theirs is written.
            await Eventually.HoldsAsync(async () => await RefusedAsync(node) > 0, TimeSpan.FromSeconds(60), "refused events of the erased user");
            Assert.Equal(CtlException.NotFound, (await CtlAsync(node, "profile", "get", user)).Exit);
            await node.StopAsync();
            Assert.Empty(FilesContaining(data, pseudonym));
            // The shop's own id is in the inputs the generator wrote for this run (its user directory), which are not the pipeline's to erase.
            Assert.Equal(["generator-users.csv"], FilesContaining(data, user));

            // A replay of the whole input from the start, on the same store.
            foreach (var output in new[] { "checkpoint.json", "profiles.jsonl", "dead-letters.jsonl" })
                File.Delete(Path.Combine(data, output));
            var replay = await new PipelineRunner(new RunOptions
            {
                DataDirectory = data, Events = 20_000, Users = RunningNode.Input.Users, Seed = RunningNode.Input.Seed,
                ProgressInterval = TimeSpan.FromSeconds(30),
            }, TextWriter.Null).RunAsync(CancellationToken.None);
            Assert.True(replay.Applied > 0, "the replay rebuilt the other users");
            Assert.Empty(FilesContaining(data, pseudonym));
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private static async Task<long> RefusedAsync(RunningNode node)
    {
        var stats = await CtlAsync(node, "pipeline", "stats", "--json");
        using var json = JsonDocument.Parse(stats.Out);
        return json.RootElement.GetProperty("refusedAsErased").GetInt64();
    }

    /// <summary>The names of the files in the data folder whose raw bytes contain <paramref name="text"/>.</summary>
    private static List<string> FilesContaining(string directory, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        var found = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory).Where(p => Path.GetFileName(p) != "run.lock")) // held exclusively; holds a pid
        {
            byte[] bytes;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                file.CopyTo(copy);
                bytes = copy.ToArray();
            }
            catch (FileNotFoundException)
            {
                continue; // a checkpoint's temporary file, renamed meanwhile
            }
            if (bytes.AsSpan().IndexOf(needle) >= 0)
                found.Add(Path.GetFileName(path));
        }
        return found;
    }
}
