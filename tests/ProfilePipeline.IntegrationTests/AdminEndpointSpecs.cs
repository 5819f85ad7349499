using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The admin endpoint of a running node: refuses requests without the token, serves metrics, stats and profiles with it.</summary>
[Collection(nameof(PipelineRuns))]
public sealed class AdminEndpointSpecs
{
    [Fact]
    public async Task A_running_node_answers_only_with_its_token_and_serves_metrics_stats_and_profiles()
    {
        await using var node = await RunningNode.StartAsync();
        var url = node.Url;
        var token = node.Token;
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
        var user = RunningNode.SomeUser;
        await Eventually.HoldsAsync(async () => (await http.GetAsync($"/profiles/{user}")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        using var profile = JsonDocument.Parse(await http.GetStringAsync($"/profiles/{user}"));
        Assert.NotEqual(user, profile.RootElement.GetProperty("userId").GetString());
        Assert.True(profile.RootElement.GetProperty("features").GetProperty("profileVersion").GetInt64() > 0);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/profiles/nobody-at-all")).StatusCode);
    }

    private static long Read(string statsJson)
    {
        using var stats = JsonDocument.Parse(statsJson);
        return stats.RootElement.GetProperty("read").GetInt64();
    }
}
