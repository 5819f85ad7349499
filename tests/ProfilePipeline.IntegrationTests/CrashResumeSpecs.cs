using ProfilePipeline.Domain.Generation;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// The node process is stopped at random points, gracefully (SIGTERM, the drain Ctrl+C also triggers) once and with SIGKILL several times,
/// and restarted on the same store and input; the end state must be exactly that of an uninterrupted run, the
/// inactivity flags and actions must be those of the rules and the ground truth, and the learner must have learned
/// exactly the labels of an uninterrupted run.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class CrashResumeSpecs
{
    private static readonly GeneratorSettings Stream = new()
    {
        Events = 100_000, Users = 5_000, Seed = 77, MalformedShare = 0.01, DuplicateShare = 0.02,
    };

    [Fact]
    public async Task A_run_killed_at_random_points_and_restarted_ends_with_exactly_the_ground_truth()
    {
        var folder = TestData.NewFolder("crash");
        var data = Path.Combine(folder, "data");
        var records = TestData.WriteGenerated(Stream, folder);
        var truth = TestData.TruthOf(Stream, records);
        string[] run =
        [
            "run", "--input", Path.Combine(folder, "events.jsonl"), "--format", "jsonl",
            "--catalogue", Path.Combine(folder, "items.csv"), "--user-attributes", Path.Combine(folder, "users.csv"),
            "--data-dir", data, "--progress-seconds", "0.5",
        ];
        var random = new Random(20261122);
        var interruptions = new List<string>();

        for (var attempt = 0; attempt < 4; attempt++)
        {
            using var node = NodeProcess.Start(run);
            var checkpointed = await WaitForCheckpointAdvanceAsync(data, node, TimeSpan.FromSeconds(60));
            // The kill point: a random moment after this run has made progress of its own.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(50, 1000)));
            if (node.HasExited)
            {
                var code = await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
                Assert.True(code == 0 && node.Output.Contains("Input exhausted", StringComparison.Ordinal),
                    $"attempt {attempt} ended by itself with exit {code}:\n{node.Output}");
                interruptions.Add($"attempt {attempt}: finished before the interruption");
                break;
            }
            if (attempt == 0)
            {
                // SIGTERM takes the same drain path as Ctrl+C (SIGINT). SIGINT itself is not sent: a process started
                // from a non-interactive background job inherits SIGINT as ignored (POSIX), as CI may start us.
                node.Terminate();
                Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("Drained on request", node.Output);
                interruptions.Add($"attempt {attempt}: SIGTERM after checkpoint {checkpointed}");
            }
            else
            {
                node.Kill();
                interruptions.Add($"attempt {attempt}: SIGKILL after checkpoint {checkpointed}");
            }
        }

        string finalOutput;
        using (var final = NodeProcess.Start(run))
        {
            Assert.True(await final.WaitForExitAsync(TimeSpan.FromMinutes(5)) == 0, final.Output);
            finalOutput = final.Output;
        }

        var differences = ProfileOutputs.Differences(truth, ProfileOutputs.LatestProfiles(data));
        Assert.True(differences.Count == 0,
            $"{string.Join("; ", interruptions)}\n{differences.Count} differences, first: {string.Join("\n", differences.Take(10))}");
        // Outputs are cut back to the checkpoint on restart, so no dead letter is written twice.
        var deadLetters = ProfileOutputs.DeadLetters(data).Select(d => d.GetProperty("offset").GetInt64()).ToList();
        Assert.Equal(truth.MalformedOffsets.Order(), deadLetters.Order());
        Assert.True(interruptions.Count(i => i.Contains("SIGKILL", StringComparison.Ordinal)) >= 2, string.Join("; ", interruptions));

        // Timers, flags and caps outlive the interruptions: users who went quiet before a restart are flagged after it,
        // every flag is right, and no cap is exceeded across incarnations.
        var published = File.ReadLines(Path.Combine(data, "profiles.jsonl")).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement).ToList();
        DecisionChecks.InactivityFlags(truth, published);
        DecisionChecks.Actions(data, published);

        // No label is lost or learned twice: the learner has learned exactly the labels, purchases included, of an
        // uninterrupted run on the same input, and as many decision points are still open at the end.
        string[] uninterrupted = [.. run.Select(a => a == data ? Path.Combine(folder, "uninterrupted") : a)];
        using var reference = NodeProcess.Start(uninterrupted);
        Assert.True(await reference.WaitForExitAsync(TimeSpan.FromMinutes(5)) == 0, reference.Output);
        var expected = Labels(reference.Output);
        Assert.True(expected.Learned > 1_000, reference.Output);
        Assert.Equal(expected, Labels(finalOutput));
    }

    /// <summary>From a run's summary: labels the learner has learned in all, the purchases among them, and the decision points still open.</summary>
    private static (long Learned, long Purchases, long Open) Labels(string output)
    {
        var learner = System.Text.RegularExpressions.Regex.Match(output, @"learner\s+([\d,]+) labels learned in all \(([\d,]+) purchases\)");
        var open = System.Text.RegularExpressions.Regex.Match(output, @"([\d,]+) still open");
        Assert.True(learner.Success && open.Success, output);
        static long Number(System.Text.RegularExpressions.Group g) => long.Parse(g.Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        return (Number(learner.Groups[1]), Number(learner.Groups[2]), Number(open.Groups[1]));
    }

    /// <summary>Waits until the checkpoint has moved past where it was when this process started.</summary>
    private static async Task<long> WaitForCheckpointAdvanceAsync(string data, NodeProcess node, TimeSpan timeout)
    {
        var path = Path.Combine(data, "checkpoint.json");
        var before = ReadOffset(path);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !node.HasExited)
        {
            var now = ReadOffset(path);
            if (now > before)
                return now;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        if (node.HasExited)
            return ReadOffset(path);
        throw new TimeoutException($"no checkpoint progress within {timeout}:\n{node.Output}");
    }

    private static long ReadOffset(string path)
    {
        try
        {
            if (!File.Exists(path))
                return -1;
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return json.RootElement.GetProperty("Sources").EnumerateObject().Select(p => p.Value.GetInt64()).DefaultIfEmpty(-1).Max();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return -1; // being replaced right now
        }
    }
}
