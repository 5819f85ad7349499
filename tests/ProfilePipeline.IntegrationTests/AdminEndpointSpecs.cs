using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Node;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The admin endpoint of a running node: refuses requests without the token, serves metrics, stats and profiles with it.</summary>
[Collection(nameof(PipelineRuns))]
public sealed class AdminEndpointSpecs
{
    [Fact]
    public async Task A_running_node_answers_only_with_its_token_and_serves_metrics_stats_and_profiles()
    {
        var data = Path.Combine(Path.GetTempPath(), "pp-admin-" + Guid.NewGuid().ToString("N"));
        var options = new RunOptions { DataDirectory = data, Events = 200_000, Users = 300, Seed = 7, Rate = 4_000, ProgressInterval = TimeSpan.FromSeconds(30) };
        using var drain = new CancellationTokenSource();
        var run = Task.Run(() => new PipelineRunner(options, TextWriter.Null).RunAsync(drain.Token));
        try
        {
            var addressFile = Path.Combine(data, "admin.json");
            await Eventually.HoldsAsync(() => File.Exists(addressFile) || run.IsCompleted, TimeSpan.FromSeconds(60));
            Assert.False(run.IsCompleted, "the run ended before its admin endpoint came up");
            using var address = JsonDocument.Parse(await File.ReadAllTextAsync(addressFile));
            var url = new Uri(address.RootElement.GetProperty("url").GetString()!);
            var token = (await File.ReadAllTextAsync(address.RootElement.GetProperty("tokenFile").GetString()!)).Trim();
            Assert.True(url.IsLoopback);
            using var http = new HttpClient { BaseAddress = url };

            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
            using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/pipeline/stats"))
            {
                wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token + "x");
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
            }

            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Eventually.HoldsAsync(async () => Read(await http.GetStringAsync("/pipeline/stats")) > 1_000, TimeSpan.FromSeconds(60));
            var metrics = await http.GetAsync("/metrics");
            Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
            var text = await metrics.Content.ReadAsStringAsync();
            Assert.Matches(@"(?m)^profilepipeline_records_read_total [1-9]\d*$", text);
            Assert.Contains("# TYPE profilepipeline_dead_letters_total counter", text);

            // A user of the generated stream, by the id the shop knows: the node pseudonymizes it.
            var user = RecordSources.ReadGenerator(new GeneratorSettings { Events = 200_000, Users = 300, Seed = 7 }, -1)
                .Select(r => r[CanonicalFields.UserId]).First(u => u is not null)!;
            await Eventually.HoldsAsync(async () => (await http.GetAsync($"/profiles/{user}")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
            using var profile = JsonDocument.Parse(await http.GetStringAsync($"/profiles/{user}"));
            Assert.NotEqual(user, profile.RootElement.GetProperty("userId").GetString());
            Assert.True(profile.RootElement.GetProperty("features").GetProperty("profileVersion").GetInt64() > 0);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/profiles/nobody-at-all")).StatusCode);
        }
        finally
        {
            await drain.CancelAsync();
            await run;
            Directory.Delete(data, recursive: true);
        }
    }

    private static long Read(string statsJson)
    {
        using var stats = JsonDocument.Parse(statsJson);
        return stats.RootElement.GetProperty("read").GetInt64();
    }
}
