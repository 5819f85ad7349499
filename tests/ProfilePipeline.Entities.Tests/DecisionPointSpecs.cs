using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// Decision points outlive a restart on real SQLite: the entity gives a replayed event's point back (from its journal
/// and from its snapshot), and the partitions' index gives back the open points with their purchase marks.
/// </summary>
public sealed class DecisionPointSpecs : TestKit, IClassFixture<SqliteJournalFixture>
{
    private const int SnapshotEvery = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const long Minute = 60_000;
    private readonly SqliteJournalFixture _db;
    private readonly UserProfileSettings _settings;
    private Erasures? _erasures;

    public DecisionPointSpecs(SqliteJournalFixture db) : base(db.Config(SnapshotEvery), "decision-point-specs")
    {
        _db = db;
        _settings = UserProfileSettings.FromConfig(Sys.Settings.Config) with
        {
            DecisionPoints = DecisionPointSettings.Default with { ViewSampleRate = 0, OnSessionStart = false },
        };
    }

    private async Task<IActorRef> IncarnationAsync(string user, UserProfileSettings? settings = null) =>
        Sys.ActorOf(UserProfileActor.Props(user, settings ?? _settings, _erasures ??= await TestErasures.LoadAsync(TestErasures.Registry(Sys))));

    private static BehaviorEvent Event(string user, int i, BehaviorType type) => new(
        $"{user}-e{i}", user, type, Start + i * Minute, "i", "c", "b", type == BehaviorType.Purchase ? 20m : null, 1, null, null, null,
        BehaviorEvent.NoAttributes, new SourcePosition("spec", i));

    private static Task<BehaviorsAcknowledged> RecordAsync(IActorRef entity, string user, params BehaviorEvent[] events) =>
        entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [.. events]), Timeout);

    [Fact]
    public async Task A_replayed_event_comes_back_with_the_decision_point_it_took_after_a_restart_from_the_journal_and_from_a_snapshot()
    {
        const string user = "erin";
        var cart = Event(user, 1, BehaviorType.CartAdd);
        var first = await IncarnationAsync(user);
        var taken = Assert.Single((await RecordAsync(first, user, Event(user, 0, BehaviorType.View), cart)).DecisionPoints);
        Assert.Equal(cart.EventId, taken.EventId);
        await first.GracefulStop(TimeSpan.FromSeconds(5));

        // Recovered from the journal: the point is taken again as it was, features and all, and given with the replayed event.
        var second = await IncarnationAsync(user);
        var replayed = await RecordAsync(second, user, cart, Event(user, 2, BehaviorType.View));
        Assert.Equal([EventOutcome.Redelivered, EventOutcome.Applied], replayed.Outcomes.ToArray());
        AssertSamePoint(taken, Assert.Single(replayed.DecisionPoints));

        // More events: a snapshot holds the state and the recent points; the journal before it is not replayed.
        await RecordAsync(second, user, Event(user, 3, BehaviorType.View), Event(user, 4, BehaviorType.CartAdd));
        await second.GracefulStop(TimeSpan.FromSeconds(5));
        await AwaitConditionAsync(() => Task.FromResult(_db.CountRows("snapshot", "profile-" + user) >= 1), Timeout);
        var third = await IncarnationAsync(user);
        var fromSnapshot = await RecordAsync(third, user, cart, Event(user, 4, BehaviorType.CartAdd), Event(user, 3, BehaviorType.View));
        Assert.All(fromSnapshot.Outcomes, outcome => Assert.Equal(EventOutcome.Redelivered, outcome));
        Assert.Equal([cart.EventId, $"{user}-e4"], fromSnapshot.DecisionPoints.Select(p => p.EventId));
        AssertSamePoint(taken, fromSnapshot.DecisionPoints[0]);
        await third.GracefulStop(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_min_gap_counts_from_the_last_point_taken_before_a_restart_from_the_journal_and_from_a_snapshot()
    {
        const string user = "gil";
        var settings = _settings with { DecisionPoints = _settings.DecisionPoints! with { MinGap = TimeSpan.FromMinutes(5) } };
        var first = await IncarnationAsync(user, settings);
        Assert.Equal([$"{user}-e1"], (await RecordAsync(first, user, Event(user, 1, BehaviorType.CartAdd))).DecisionPoints.Select(p => p.EventId));
        await first.GracefulStop(TimeSpan.FromSeconds(5));

        // Recovered from the journal (one event, no snapshot yet): minute 3 is within the gap after minute 1, minute 6 is not.
        var second = await IncarnationAsync(user, settings);
        Assert.Empty((await RecordAsync(second, user, Event(user, 3, BehaviorType.CartAdd))).DecisionPoints);
        Assert.Equal([$"{user}-e6"], (await RecordAsync(second, user, Event(user, 6, BehaviorType.CartAdd))).DecisionPoints.Select(p => p.EventId));
        Assert.Empty((await RecordAsync(second, user, Event(user, 7, BehaviorType.View))).DecisionPoints);
        await second.GracefulStop(TimeSpan.FromSeconds(5));

        // Three events applied by this incarnation: a snapshot holds the recent points; the gap counts from minute 6 after it.
        await AwaitConditionAsync(() => Task.FromResult(_db.CountRows("snapshot", "profile-" + user) >= 1), Timeout);
        var third = await IncarnationAsync(user, settings);
        var afterSnapshot = await RecordAsync(third, user, Event(user, 10, BehaviorType.CartAdd), Event(user, 11, BehaviorType.CartAdd));
        Assert.Equal([$"{user}-e11"], afterSnapshot.DecisionPoints.Select(p => p.EventId));
        await third.GracefulStop(TimeSpan.FromSeconds(5));
    }

    private static void AssertSamePoint(DecisionPoint expected, DecisionPoint actual)
    {
        Assert.Equal((expected.UserId, expected.EventId, expected.At, expected.Kind), (actual.UserId, actual.EventId, actual.At, actual.Kind));
        Assert.Equal(expected.Features, actual.Features);
    }

    private static OpenDecisionPoint Open(string user, int i, bool purchased = false) =>
        new(new DecisionPoint(user, $"{user}-p{i}", Start + i * Minute, DecisionPointSettings.CartAdd, [i, 0.5f, -1f]), purchased);

    private static UpdateDecisionPoints Update(string partition, IEnumerable<OpenDecisionPoint> opened, IEnumerable<string>? purchased = null,
        IEnumerable<string>? closed = null) => new(partition, [.. opened], [.. purchased ?? []], [.. closed ?? []]);

    [Fact]
    public async Task The_decision_point_index_of_a_partition_gives_back_the_open_points_after_a_restart_compacts_itself_and_forgets_an_erased_user()
    {
        const string partition = "events-1";
        var persistenceId = "decision-points-" + partition;
        var index = Sys.ActorOf(DecisionPointIndexActor.Props(partition, snapshotEvery: 4, followErasures: false));
        await index.Ask<DecisionPointsUpdated>(Update(partition, Enumerable.Range(0, 5).Select(i => Open("ann", i))), Timeout);
        await index.Ask<DecisionPointsUpdated>(Update(partition, [Open("bob", 0, purchased: true), Open("bob", 1)], ["ann-p1", "ann-p2"]), Timeout);
        await index.Ask<DecisionPointsUpdated>(Update(partition, [], closed: ["ann-p0", "ann-p2"]), Timeout);
        await index.GracefulStop(TimeSpan.FromSeconds(5));

        var restarted = Sys.ActorOf(DecisionPointIndexActor.Props(partition, snapshotEvery: 4, followErasures: false));
        var open = (await restarted.Ask<PartitionDecisionPoints>(new GetDecisionPoints(partition), Timeout)).Points;
        Assert.Equal([("ann-p1", true), ("ann-p3", false), ("ann-p4", false), ("bob-p0", true), ("bob-p1", false)],
            open.Select(p => (p.Point.EventId, p.Purchased)).OrderBy(p => p.EventId, StringComparer.Ordinal));
        Assert.Equal(Open("ann", 3).Point.Features, open.Single(p => p.Point.EventId == "ann-p3").Point.Features);

        // The fourth entry is due a snapshot: the entries before it are deleted.
        await restarted.Ask<DecisionPointsUpdated>(Update(partition, [Open("cid", 0)], closed: ["ann-p4"]), Timeout);
        await AwaitConditionAsync(() => Task.FromResult(_db.CountRows("snapshot", persistenceId) == 1 && _db.CountRows("journal", persistenceId) <= 1), Timeout);

        // An erased user's points go, and the id with them: from the snapshot and from every entry.
        restarted.Tell(new UserErased("bob", "key", Start));
        await AwaitConditionAsync(() => Task.FromResult(!_db.AnyRowContains("snapshot", persistenceId, "bob-p0")
                                                        && !_db.AnyRowContains("journal", persistenceId, "\"bob\"")), Timeout);
        var afterErasure = (await restarted.Ask<PartitionDecisionPoints>(new GetDecisionPoints(partition), Timeout)).Points;
        Assert.Equal(["ann-p1", "ann-p3", "cid-p0"], afterErasure.Select(p => p.Point.EventId).Order(StringComparer.Ordinal));
        await restarted.GracefulStop(TimeSpan.FromSeconds(5));
    }
}
