using System.Globalization;
using System.Text;
using ProfilePipeline.Node;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// The real public samples in ../shared/data replayed through `run --input --format`. The project does not
/// ship them; where ../shared is absent these tests are skipped and say so.
/// </summary>
[Collection(nameof(PipelineRuns))]
public sealed class RealSampleSpecs
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(NodeConfig.DefaultPseudonymKey);

    private static string Sample(params string[] path)
    {
        var shared = TestData.SharedData();
        Skip.If(shared is null, "../shared/data is not beside this checkout; the real-sample replays need it");
        var file = Path.Combine([shared!, .. path]);
        Skip.IfNot(File.Exists(file), $"{file} is missing");
        return file;
    }

    private static Task<RunSummary> RunAsync(string input, string format, string data) =>
        new PipelineRunner(new RunOptions { Input = input, Format = format, DataDirectory = data, ProgressInterval = TimeSpan.FromSeconds(10) }, TextWriter.Null)
            .RunAsync(CancellationToken.None);

    [SkippableFact]
    public async Task The_Taobao_UserBehavior_slice_imports_and_every_users_counts_match_the_raw_rows()
    {
        var file = Sample("taobao_userbehavior_flink_slice", "UserBehavior_slice.csv");
        var rows = File.ReadLines(file).Select(l => l.Split(',')).ToList();
        var data = TestData.NewFolder("taobao");

        var summary = await RunAsync(file, "taobao", data);

        Assert.Equal(rows.Count, summary.Read);
        Assert.Equal(rows.Count, summary.Applied);
        Assert.Equal(0, summary.DeadLetters);
        var expected = rows.GroupBy(r => GroundTruth.Pseudonym(Key, r[0])).ToDictionary(
            g => g.Key,
            g => (Views: g.Count(r => r[3] == "pv"), Carts: g.Count(r => r[3] == "cart"), Favorites: g.Count(r => r[3] == "fav"),
                  Purchases: g.Count(r => r[3] == "buy"), AsOf: g.Max(r => long.Parse(r[4], CultureInfo.InvariantCulture)) * 1000));
        var published = ProfileOutputs.LatestProfiles(data);
        Assert.Equal(expected.Count, published.Count);
        foreach (var (user, want) in expected)
        {
            var lifetime = published[user].GetProperty("features").GetProperty("lifetime");
            Assert.Equal(want, (lifetime.GetProperty("view").GetInt32(), lifetime.GetProperty("cart_add").GetInt32(),
                lifetime.GetProperty("favorite").GetInt32(), lifetime.GetProperty("purchase").GetInt32(), published[user].GetProperty("asOfMs").GetInt64()));
        }
    }

    [SkippableFact]
    public async Task The_REES46_sample_imports_with_spend_and_brands_per_user_matching_the_raw_rows()
    {
        var file = Sample("rees46_multicategory_head_sample", "2019-Oct-head.csv");
        var rows = File.ReadLines(file).Skip(1).Select(l => l.Split(',')).ToList();
        var data = TestData.NewFolder("rees46");

        var summary = await RunAsync(file, "rees46", data);

        Assert.Equal(rows.Count, summary.Read);
        Assert.Equal(rows.Count, summary.Applied + summary.Duplicates + summary.DeadLetters);
        Assert.Equal(0, summary.DeadLetters);
        var published = ProfileOutputs.LatestProfiles(data);
        foreach (var user in rows.GroupBy(r => GroundTruth.Pseudonym(Key, r[7])))
        {
            var features = published[user.Key].GetProperty("features");
            var spend = user.Where(r => r[1] == "purchase").Sum(r => decimal.Parse(r[6], CultureInfo.InvariantCulture));
            Assert.Equal(spend, features.GetProperty("lifetime").GetProperty("spend").GetDecimal());
            var brands = user.Select(r => r[5]).Where(b => b.Length > 0).Distinct().Count();
            Assert.Equal(Math.Min(brands, 5), features.GetProperty("topBrands").GetArrayLength());
        }
    }
}
