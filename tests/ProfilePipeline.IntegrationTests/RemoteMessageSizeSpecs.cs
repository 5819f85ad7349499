using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Entities;
using ProfilePipeline.Learning;
using ProfilePipeline.Node.Learning;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>
/// Large batches cross nodes: two actor systems on 127.0.0.1 with Akka.Remote's default frame size (128,000 bytes), the
/// learner and a partition's indexes (real, on SQLite) on one, a stage's writers and readers on the other. A message
/// over the frame size is dropped by the transport, so each of these asks would time out if it were sent whole.
/// </summary>
public sealed class RemoteMessageSizeSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly AskPolicy OneAsk = new(Timeout, 1); // a dropped message is a failure, not a retry
    private const string Partition = "events-0";
    private const int Count = 1_000;
    private ActorSystem _host = null!;
    private ActorSystem _stage = null!;

    private static Config Remote(string database) => ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            """)
        .WithFallback(LearnerSerializer.Configuration)
        .WithFallback(ProtocolSerializer.Configuration)
        .WithFallback(ProfileSerializer.Configuration)
        .WithFallback(PersistenceConfig.Sqlite(database));

    public Task InitializeAsync()
    {
        var folder = TestData.NewFolder("remote-sizes");
        _host = ActorSystem.Create("host", Remote(Path.Combine(folder, "host.db")));
        _stage = ActorSystem.Create("stage", Remote(Path.Combine(folder, "stage.db")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stage.Terminate();
        await _host.Terminate();
    }

    /// <summary>The actor as the stage's system sees it: through the remote transport.</summary>
    private Task<IActorRef> RemoteAsync(IActorRef local) =>
        _stage.ActorSelection(new RootActorPath(((ExtendedActorSystem)_host).Provider.DefaultAddress) / "user" / local.Path.Name).ResolveOne(Timeout);

    /// <summary>Ids as long as any we take (a hex pseudonym), so the messages are as large as ours get.</summary>
    private static string LongId(string prefix, int i) => $"{prefix}-{i:D6}-" + new string('f', 56);

    private static DecisionPoint Point(int i) => new(LongId("user", i % 300), LongId("event", i), 1_767_225_600_000L + i * 1_000L,
        DecisionPointSettings.CartAdd, [.. Enumerable.Range(0, PropensityFeatures.Count).Select(f => (float)Math.Sin(i * 31 + f) * 1_000.123f)]);

    [Fact]
    public async Task A_batch_of_labels_reaches_the_learner_on_another_node_whole()
    {
        var learner = await RemoteAsync(_host.ActorOf(PropensityLearnerActor.Props(new LearnerSettings(), publishToCluster: false), "learner"));
        var labels = Enumerable.Range(0, 2_000).Select(i => new LabeledExample(Point(i), i % 3 == 0, 1_767_300_000_000L)).ToList();
        var retried = 0;

        await new LearnerLabelSink(learner, OneAsk, () => retried++).DeliverAsync(labels);

        var status = await learner.Ask<LearnerStatus>(GetLearnerStatus.Instance, Timeout);
        Assert.Equal(labels.Count, status.LabelsSeen);
        Assert.Equal(0, retried);
    }

    [Fact]
    public async Task A_partitions_open_decision_points_are_written_in_pieces_and_read_back_in_pages_from_another_node()
    {
        var index = await RemoteAsync(_host.ActorOf(DecisionPointIndexActor.Props(Partition, 10_000, followErasures: false), "points"));
        var opened = Enumerable.Range(0, Count).Select(i => new OpenDecisionPoint(Point(i), i % 7 == 0)).ToImmutableArray();
        var marked = opened.Where((_, i) => i % 5 == 0).Select(o => o.Point.EventId).ToImmutableArray();

        foreach (var piece in new UpdateDecisionPoints(Partition, opened, marked, []).InPieces())
            await OneAsk.AskAsync<DecisionPointsUpdated>(index, piece, () => { });
        var pages = 0;
        var read = await OneAsk.AskPagesAsync<PartitionDecisionPoints, OpenDecisionPoint>(index, after => new GetDecisionPoints(Partition, after),
            page => { pages++; return (page.Points, page.Next); }, () => { });

        Assert.Equal(opened.Select(o => (o.Point.EventId, o.Purchased || marked.Contains(o.Point.EventId), o.Point.Features.Sum())).OrderBy(p => p.EventId, StringComparer.Ordinal),
            read.Select(o => (o.Point.EventId, o.Purchased, o.Point.Features.Sum())));
        Assert.True(pages >= Count / RemoteMessageLimits.PageEntries, $"{pages} pages");

        foreach (var piece in new UpdateDecisionPoints(Partition, [], [], [.. opened.Select(o => o.Point.EventId)]).InPieces())
            await OneAsk.AskAsync<DecisionPointsUpdated>(index, piece, () => { });
        var left = await index.Ask<PartitionDecisionPoints>(new GetDecisionPoints(Partition), Timeout);
        Assert.Empty(left.Points);
        Assert.Null(left.Next);
    }

    [Fact]
    public async Task A_partitions_timers_are_written_in_pieces_and_read_back_in_pages_from_another_node()
    {
        var index = await RemoteAsync(_host.ActorOf(InactivityIndexActor.Props(Partition, 10_000, followErasures: false), "timers"));
        var armed = Enumerable.Range(0, Count).Select(i => new ArmedTimer(LongId("user", i), 1_767_225_600_000L + i)).ToImmutableArray();
        var flagged = armed.Take(10).Select(t => t.UserId).ToImmutableArray();

        foreach (var piece in new UpdateTimers(Partition, armed, [], flagged, RideOffset: 40).InPieces())
            await OneAsk.AskAsync<TimersUpdated>(index, piece, () => { });
        var read = await OneAsk.AskPagesAsync<PartitionTimers, ArmedTimer>(index, after => new GetPartitionTimers(Partition, StartOffset: 41) { After = after },
            page => (page.Timers, page.Next), () => { });

        // Reading from offset 41 on settles the flags that rode on offset 40: those users are dropped, the rest come back.
        Assert.Equal(armed.Skip(10).Select(t => (t.UserId, t.LastActivity)).OrderBy(t => t.UserId, StringComparer.Ordinal),
            read.Select(t => (t.UserId, t.LastActivity)));
    }
}
