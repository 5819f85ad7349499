using Akka.Actor;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// Decisions outlive the entity: caps and inactivity flags recorded by one incarnation (journal entries, then a
/// snapshot) hold for the next; and the partitions' timer index gives back what was armed and not disarmed.
/// </summary>
public sealed class DecisionLedgerSpecs : TestKit, IClassFixture<SqliteJournalFixture>
{
    private const int SnapshotEvery = 3;
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const long Hour = 3_600_000;
    private readonly SqliteJournalFixture _db;
    private readonly UserProfileSettings _settings;
    private Erasures? _erasures;

    public DecisionLedgerSpecs(SqliteJournalFixture db) : base(db.Config(SnapshotEvery), "ledger-specs")
    {
        _db = db;
        _settings = UserProfileSettings.FromConfig(Sys.Settings.Config) with
        {
            Rules = new RuleBook(
            [
                new DecisionRule("coupon", RuleTrigger.Update, new RuleCondition(), "coupon", 2, new FrequencyCap(1, TimeSpan.FromDays(1))),
                new DecisionRule("reminder", RuleTrigger.Update, new RuleCondition(), "reminder", 1, new FrequencyCap(2, TimeSpan.FromDays(1))),
                new DecisionRule("win-back", RuleTrigger.Inactive, new RuleCondition(), "win-back", 1, new FrequencyCap(1, TimeSpan.FromDays(7))),
            ]),
        };
    }

    private async Task<Erasures> Erasures() => _erasures ??= await TestErasures.LoadAsync(TestErasures.Registry(Sys));

    private async Task<IActorRef> IncarnationAsync(string user) => Sys.ActorOf(UserProfileActor.Props(user, _settings, await Erasures()));

    private static Task<DecisionReply> DecideAsync(IActorRef entity, string user, long? flag, long at, params string[] holding) =>
        entity.Ask<DecisionReply>(new RecordDecision(user, flag, [.. holding], at, at / Hour, Basis(at)), TimeSpan.FromSeconds(10)); // a record per hour

    /// <summary>What a decision at <paramref name="at"/> was made on (made up, but distinct per decision).</summary>
    private static DecisionBasis Basis(long at) =>
        new(at / Hour, (at / Hour % 100) / 100.0, "online-v3", 0.5, "loyal", new SegmentAssignment("s2", "frequent buyers", 4), ["cart_abandoner", "inactive"]);

    private static BehaviorEvent Event(string user, int i) => new(
        $"{user}-e{i}", user, BehaviorType.View, Start + i * Hour, "i", "c", "b", null, 1, null, null, null, BehaviorEvent.NoAttributes, new SourcePosition("spec", i));

    [Fact]
    public async Task Caps_and_flags_recorded_by_one_incarnation_hold_for_the_next_from_the_journal_and_from_a_snapshot()
    {
        const string user = "carol";
        var first = await IncarnationAsync(user);
        await first.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [Event(user, 0)]), TimeSpan.FromSeconds(10));
        Assert.Equal(new DecisionReply(user, false, "coupon", 0), await DecideAsync(first, user, null, Start, "coupon", "reminder"));
        Assert.Equal(new DecisionReply(user, false, "reminder", 1), await DecideAsync(first, user, null, Start + Hour, "coupon", "reminder"));
        await first.GracefulStop(TimeSpan.FromSeconds(5));

        // Recovered from the journal: the coupon's cap still holds, one reminder is left for the day.
        var second = await IncarnationAsync(user);
        Assert.Equal(new DecisionReply(user, false, "reminder", 1), await DecideAsync(second, user, null, Start + 2 * Hour, "coupon", "reminder"));
        Assert.Equal(new DecisionReply(user, false, null, 2), await DecideAsync(second, user, null, Start + 3 * Hour, "coupon", "reminder"));
        Assert.Equal(new DecisionReply(user, true, "win-back", 0), await DecideAsync(second, user, 1, Start + 80 * Hour, "win-back"));
        await second.GracefulStop(TimeSpan.FromSeconds(5));

        // Five journal entries since the profile's event: a snapshot was taken with the ledger in it.
        await AwaitConditionAsync(() => Task.FromResult(_db.CountRows("snapshot", "profile-" + user) >= 1), TimeSpan.FromSeconds(10));
        var third = await IncarnationAsync(user);
        Assert.Equal(new DecisionReply(user, false, null, 0) { AlreadyFlagged = true }, await DecideAsync(third, user, 1, Start + 81 * Hour, "win-back"));
        // The same request again (a retry after a timeout): the same answer, recorded once.
        Assert.Equal(new DecisionReply(user, true, "win-back", 0), await DecideAsync(third, user, 1, Start + 80 * Hour, "win-back"));
        var since = await third.Ask<DecisionsSince>(new GetDecisionsSince(user, (Start + 2 * Hour) / Hour), TimeSpan.FromSeconds(10));
        Assert.Equal(1, since.FlaggedVersion);
        Assert.Equal(["reminder", "win-back"], since.Actions.Select(a => a.Rule)); // the coupon at hour 0 and the reminder at hour 1 are before
        Assert.Equal([Basis(Start + 2 * Hour), Basis(Start + 80 * Hour)], since.Actions.Select(a => a.Basis));
        Assert.Equal(new DecisionReply(user, false, null, 2), await DecideAsync(third, user, null, Start + 4 * Hour, "coupon", "reminder"));
        Assert.Equal(new DecisionReply(user, false, "coupon", 0), await DecideAsync(third, user, null, Start + 25 * Hour, "coupon", "reminder"));
        // A newer version of the profile may be flagged again, but the win-back is capped for a week.
        await third.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [Event(user, 90)]), TimeSpan.FromSeconds(10));
        Assert.Equal(new DecisionReply(user, true, null, 1), await DecideAsync(third, user, 2, Start + 170 * Hour, "win-back"));
        // A flag for a version the profile has moved past is refused.
        Assert.Equal(new DecisionReply(user, false, null, 0), await DecideAsync(third, user, 1, Start + 171 * Hour, "win-back"));
        await third.GracefulStop(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_erasure_forgets_the_ledger()
    {
        const string user = "dave";
        var entity = await IncarnationAsync(user);
        await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [Event(user, 0)]), TimeSpan.FromSeconds(10));
        Assert.Equal("coupon", (await DecideAsync(entity, user, null, Start, "coupon")).Rule);
        await entity.Ask<ProfileErased>(new EraseProfile(user), TimeSpan.FromSeconds(10));
        await entity.GracefulStop(TimeSpan.FromSeconds(5));
        Assert.Equal(0, _db.CountRows("journal", "profile-" + user));
        var next = await IncarnationAsync(user);
        Assert.Equal("coupon", (await DecideAsync(next, user, null, Start + Hour, "coupon")).Rule);
        await next.GracefulStop(TimeSpan.FromSeconds(5));
    }

    private static UpdateTimers Arm(string partition, params ArmedTimer[] timers) => new(partition, [.. timers], [], [], long.MaxValue);

    [Fact]
    public async Task The_timer_index_of_a_partition_gives_back_what_was_armed_and_marked_after_a_restart_and_compacts_itself()
    {
        const string partition = "topic-3";
        var index = Sys.ActorOf(InactivityIndexActor.Props(partition, snapshotEvery: 4, followErasures: false));
        for (var i = 0; i < 10; i++)
        {
            await index.Ask<TimersUpdated>(Arm(partition, new ArmedTimer($"u{i}", Start + i), new ArmedTimer("u0", Start + 100 + i)), TimeSpan.FromSeconds(10));
        }
        index.Tell(new DisarmTimers(partition, ["u1", "u2", "nobody"]));
        await index.Ask<TimersUpdated>(new UpdateTimers(partition, [], ["u3", "u4", "u5"], [], 50), TimeSpan.FromSeconds(10));
        await index.Ask<TimersUpdated>(new UpdateTimers(partition, [], [], ["u3", "u4"], 50), TimeSpan.FromSeconds(10));
        await index.GracefulStop(TimeSpan.FromSeconds(5));

        var restarted = Sys.ActorOf(InactivityIndexActor.Props(partition, snapshotEvery: 4, followErasures: false));
        // Read again from offset 50: the decisions published with it are given back marked.
        var readAgain = (await restarted.Ask<PartitionTimers>(new GetPartitionTimers(partition, 50), TimeSpan.FromSeconds(10))).Timers;
        Assert.Equal(
            [("u0", Start + 109, false, null), ("u3", Start + 3, true, 50), ("u4", Start + 4, true, 50), ("u5", Start + 5, false, 50),
             .. Enumerable.Range(6, 4).Select(i => ($"u{i}", Start + i, false, (long?)null))],
            readAgain.Select(t => (t.UserId, t.LastActivity, t.Flagged, t.PublishedWith)).OrderBy(t => t.UserId, StringComparer.Ordinal));
        // u4 acts again; then the partition is read from after 50: u3's flag is settled and gone, u5's mark is cleared.
        await restarted.Ask<TimersUpdated>(Arm(partition, new ArmedTimer("u4", Start + 500)), TimeSpan.FromSeconds(10));
        var pastThem = (await restarted.Ask<PartitionTimers>(new GetPartitionTimers(partition, 51), TimeSpan.FromSeconds(10))).Timers;
        Assert.DoesNotContain(pastThem, t => t.UserId == "u3");
        Assert.Equal(new ArmedTimer("u4", Start + 500), Assert.Single(pastThem, t => t.UserId == "u4"));
        Assert.Equal(new ArmedTimer("u5", Start + 5), Assert.Single(pastThem, t => t.UserId == "u5"));
        // The disarm was a purge: a snapshot, and the entries before it deleted.
        await AwaitConditionAsync(() => Task.FromResult(_db.CountRows("journal", "inactivity-timers-" + partition) <= 4), TimeSpan.FromSeconds(10));
        Assert.False(_db.AnyRowContains("journal", "inactivity-timers-" + partition, "\"u1\""));
        Assert.False(_db.AnyRowContains("snapshot", "inactivity-timers-" + partition, "\"u1\""));
        await restarted.GracefulStop(TimeSpan.FromSeconds(5));
    }
}
