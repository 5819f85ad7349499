using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Node.Bench;

/// <summary>
/// Memory per live profile: activates growing numbers of user entities (each with a few events of history,
/// persisted to SQLite) and fits the slope of the heap, and of the process's resident memory, against them.
/// </summary>
public sealed class MemoryProbe(BenchOptions options, TextWriter console)
{
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public async Task<JsonObject> MeasureAsync(Config config)
    {
        await using var node = await ClusterNode.StartAsync(config, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var points = new List<(int Users, long Heap, long Resident)> { Measure(0) };
        var active = 0;
        foreach (var target in options.MemoryUsers.Order())
        {
            await ActivateAsync(node.Profiles, active, target).ConfigureAwait(false);
            active = target;
            points.Add(Measure(active));
            console.WriteLine($"  memory: {active:N0} live profiles: heap {points[^1].Heap / 1048576.0:N1} MiB, resident {points[^1].Resident / 1048576.0:N1} MiB");
        }
        var heapSlope = Slope(points.Select(p => ((double)p.Users, (double)p.Heap)).ToList());
        var residentSlope = Slope(points.Select(p => ((double)p.Users, (double)p.Resident)).ToList());
        console.WriteLine($"  memory per live profile: {heapSlope:N0} bytes of heap, {residentSlope:N0} bytes resident ({options.EventsPerMemoryUser} events of history each)");
        return new JsonObject
        {
            ["bytesPerProfile"] = Math.Round(heapSlope),
            ["residentBytesPerProfile"] = Math.Round(residentSlope),
            ["eventsOfHistoryPerProfile"] = options.EventsPerMemoryUser,
            ["points"] = new JsonArray([.. points.Select(p => (JsonNode)new JsonObject { ["users"] = p.Users, ["heapBytes"] = p.Heap, ["residentBytes"] = p.Resident })]),
        };
    }

    private async Task ActivateAsync(IActorRef region, int from, int to)
    {
        const int inFlight = 2000;
        for (var chunk = from; chunk < to; chunk += inFlight)
        {
            var asks = Enumerable.Range(chunk, Math.Min(inFlight, to - chunk))
                .Select(u => region.Ask<BehaviorsAcknowledged>(new RecordBehaviors(UserId(u), History(u)), TimeSpan.FromSeconds(60)));
            await Task.WhenAll(asks).ConfigureAwait(false);
        }
    }

    private static string UserId(int u) => $"memory-user-{u}";

    /// <summary>A short, varied history: views, a cart add and now and then a purchase, over several categories and brands.</summary>
    private ImmutableArray<BehaviorEvent> History(int u) =>
    [
        .. Enumerable.Range(0, options.EventsPerMemoryUser).Select(k =>
        {
            var type = k % 7 == 6 ? BehaviorType.Purchase : k % 4 == 3 ? BehaviorType.CartAdd : BehaviorType.View;
            return new BehaviorEvent($"m{u}-{k}", UserId(u), type, Start + (u % 1000) * 60_000L + k * 90_000L, $"i{(u * 7 + k) % 5000}",
                $"c{(u + k) % 40}", $"b{(u + 3 * k) % 60}", type == BehaviorType.Purchase ? 20m + k : null, 1, null, $"s{u}", null,
                BehaviorEvent.NoAttributes, new SourcePosition("bench-memory", (long)u * options.EventsPerMemoryUser + k));
        }),
    ];

    private static (int Users, long Heap, long Resident) Measure(int users)
    {
        BenchRunner.Collect();
        using var process = Process.GetCurrentProcess();
        return (users, GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }

    /// <summary>Least-squares slope of y over x.</summary>
    internal static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var covariance = points.Sum(p => (p.X - meanX) * (p.Y - meanY));
        var variance = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        return variance == 0 ? 0 : covariance / variance;
    }
}
