using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities.Tests;

/// <summary>The entity on a real SQLite journal: persist, stop, recover, and recover from snapshot plus tail.</summary>
public sealed class UserProfileActorRecoverySpecs : TestKit, IClassFixture<SqliteJournalFixture>
{
    private const int SnapshotEvery = 5;
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private readonly SqliteJournalFixture _db;
    private readonly UserProfileSettings _settings;

    public UserProfileActorRecoverySpecs(SqliteJournalFixture db) : base(db.Config(SnapshotEvery), "entity-specs")
    {
        _db = db;
        _settings = UserProfileSettings.FromConfig(Sys.Settings.Config);
    }

    private static BehaviorEvent Event(int i, BehaviorType type = BehaviorType.View) => new(
        $"e{i}", "u", type, Start + i * 60_000L, $"i{i % 3}", $"c{i % 2}", "b", type == BehaviorType.Purchase ? 10m + i : null, 1,
        null, null, null, BehaviorEvent.NoAttributes, new SourcePosition("spec", i));

    private async Task<BehaviorsAcknowledged> RecordAsync(IActorRef entity, string user, params BehaviorEvent[] events) =>
        await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [.. events.Select(e => e with { UserId = user })]), TimeSpan.FromSeconds(10));

    private async Task<ProfileFeatures?> RecoverAsync(string user)
    {
        var entity = Sys.ActorOf(UserProfileActor.Props(user, _settings, await Erasures()));
        var reply = await entity.Ask<ProfileReply>(new GetProfile(user), TimeSpan.FromSeconds(10));
        await entity.GracefulStop(TimeSpan.FromSeconds(5));
        return reply.Features;
    }

    private Erasures? _erasures;

    private async Task<Erasures> Erasures() => _erasures ??= await TestErasures.LoadAsync(TestErasures.Registry(Sys));

    private static string Json(ProfileFeatures? f) => JsonSerializer.Serialize(f);

    [Fact]
    public async Task An_entity_persists_stops_and_recovers_the_same_profile()
    {
        var entity = Sys.ActorOf(UserProfileActor.Props("alice", _settings, await Erasures()));
        await RecordAsync(entity, "alice", Event(1), Event(2, BehaviorType.CartAdd));
        var last = await RecordAsync(entity, "alice", Event(3, BehaviorType.Purchase), Event(3, BehaviorType.Purchase));
        Assert.Equal([EventOutcome.Applied, EventOutcome.Redelivered], last.Outcomes.ToArray());
        await entity.GracefulStop(TimeSpan.FromSeconds(5));

        var recovered = await RecoverAsync("alice");
        Assert.Equal(Json(last.Features), Json(recovered));
        Assert.Equal(3, recovered!.ProfileVersion);
    }

    [Fact]
    public async Task Recovery_from_a_snapshot_plus_the_journal_tail_gives_the_state_of_the_full_fold()
    {
        var entity = Sys.ActorOf(UserProfileActor.Props("bob", _settings, await Erasures()));
        var expected = ProfileState.Empty(_settings.Profile);
        for (var i = 0; i < 13; i++)
        {
            var e = Event(i, i % 4 == 3 ? BehaviorType.Purchase : BehaviorType.View) with { UserId = "bob" };
            await RecordAsync(entity, "bob", e);
            expected = expected.Apply(expected.Decide([e]).ToPersist!);
        }
        await entity.GracefulStop(TimeSpan.FromSeconds(5));

        // The snapshot store writes after the entity asked it to; wait for it, bounded.
        await AwaitConditionAsync(() => Task.FromResult(_db.CountRows("snapshot", "profile-bob") >= 1), TimeSpan.FromSeconds(10));
        Assert.Equal(13, _db.CountRows("journal", "profile-bob"));
        Assert.Equal(Json(expected.Features("bob")), Json(await RecoverAsync("bob")));
    }

    [Fact]
    public async Task A_redelivered_batch_after_recovery_changes_nothing()
    {
        var entity = Sys.ActorOf(UserProfileActor.Props("carol", _settings, await Erasures()));
        var first = await RecordAsync(entity, "carol", Event(1), Event(2));
        await entity.GracefulStop(TimeSpan.FromSeconds(5));

        var revived = Sys.ActorOf(UserProfileActor.Props("carol", _settings, await Erasures()));
        var again = await RecordAsync(revived, "carol", Event(1), Event(2));
        Assert.All(again.Outcomes, o => Assert.Equal(EventOutcome.Redelivered, o));
        Assert.Equal(Json(first.Features), Json(again.Features));
        Assert.Equal(1, _db.CountRows("journal", "profile-carol"));
    }
}
