using System.Text.RegularExpressions;

namespace ProfilePipeline.IntegrationTests;

/// <summary>`evaluate` as an operator runs it: the node's program in its own process, with a config file of its own.</summary>
public sealed partial class EvaluateCommandSpecs : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("evaluate-specs-").FullName;

    private string Config(string name, string hocon)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, hocon);
        return path;
    }

    private static async Task<(int ExitCode, string Output)> EvaluateAsync(params string[] arguments)
    {
        using var node = NodeProcess.Start(["evaluate", "--events", "30000", "--users", "600", .. arguments]);
        var exitCode = await node.WaitForExitAsync(Timeout);
        return (exitCode, node.Output);
    }

    [GeneratedRegex(@"decision points ([\d,]+),")]
    private static partial Regex DecisionPoints();

    private static long PointsIn(string output) => DecisionPoints().Match(output) is { Success: true } m
        ? long.Parse(m.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture)
        : throw new Xunit.Sdk.XunitException("no decision points in:\n" + output);

    [Fact]
    public async Task Evaluate_reports_the_gap_and_fit_it_ran_with_takes_fewer_points_with_a_gap_and_names_a_gap_it_cannot_read()
    {
        var (everyCode, every) = await EvaluateAsync("--config", Config("every.conf", "profile-pipeline.learning.decision-points.min-gap = 0s\n"));
        var (gapCode, gap) = await EvaluateAsync("--config", Config("gap.conf",
            "profile-pipeline.learning.decision-points.min-gap = 10m\nprofile-pipeline.learning.mini-batch = 1000\nprofile-pipeline.learning.training-window = 1000\n"));

        Assert.True(everyCode == 0, every);
        Assert.True(gapCode == 0, gap);
        Assert.Contains("decision points at least 00:00:00 apart", every);
        Assert.Contains("decision points at least 00:10:00 apart, a fit every 1,000 labels", gap);
        Assert.InRange(PointsIn(gap), 1, PointsIn(every) - 1);
        Assert.Contains("batch reference (FastTree", gap);

        var (negativeCode, negative) = await EvaluateAsync("--config", Config("negative.conf", "profile-pipeline.learning.decision-points.min-gap = -1m\n"));
        Assert.NotEqual(0, negativeCode);
        Assert.Contains("error: profile-pipeline.learning.decision-points.min-gap: ", negative);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
