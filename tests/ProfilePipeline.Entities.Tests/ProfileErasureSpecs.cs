using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// Erasing a user on the embedded journal: every byte of the user leaves the database files (journal, snapshots and
/// the write-ahead log), a replay of their old events is refused before and after a restart, other users are untouched,
/// and new activity after the erasure starts a new profile.
/// </summary>
public sealed class ProfileErasureSpecs : TestKit, IClassFixture<SqliteJournalFixture>
{
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly SqliteJournalFixture _db;
    private readonly UserProfileSettings _settings;

    public ProfileErasureSpecs(SqliteJournalFixture db) : base(db.Config(snapshotEvery: 5), "erasure-specs")
    {
        _db = db;
        _settings = UserProfileSettings.FromConfig(Sys.Settings.Config);
    }

    private static BehaviorEvent Event(string user, int i, long? timestamp = null) => new(
        $"{user}-e{i}", user, i % 4 == 3 ? BehaviorType.Purchase : BehaviorType.View, timestamp ?? Start + i * 60_000L, $"i{i % 3}", $"c{i % 2}",
        "b", i % 4 == 3 ? 10m + i : null, 1, null, null, null, BehaviorEvent.NoAttributes, new SourcePosition("spec", i));

    private static Task<BehaviorsAcknowledged> Record(IActorRef entity, params BehaviorEvent[] events) =>
        entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(events[0].UserId, [.. events]), Timeout);

    [Fact]
    public async Task An_erased_user_leaves_no_byte_in_the_database_and_a_replay_of_their_events_is_refused()
    {
        var user = TestErasures.Keys.Pseudonymize("erin@example.com");
        var other = TestErasures.Keys.Pseudonymize("olga@example.com");
        var registry = TestErasures.Registry(Sys);
        var erasures = await TestErasures.LoadAsync(registry);
        var history = Enumerable.Range(0, 12).Select(i => Event(user, i)).ToArray();
        var entity = Sys.ActorOf(UserProfileActor.Props(user, _settings, erasures));
        var bystander = Sys.ActorOf(UserProfileActor.Props(other, _settings, erasures));
        foreach (var batch in history.Chunk(3))
            await Record(entity, batch);
        await Record(bystander, [.. Enumerable.Range(0, 7).Select(i => Event(other, i))]);
        await AwaitConditionAsync(() => Task.FromResult(SnapshotCount(user) > 0), Timeout);
        var before = await bystander.Ask<ProfileReply>(new GetProfile(other), Timeout);
        Assert.True(DatabaseContains(user), "the user's id is in the database before the erasure");

        var erased = await entity.Ask<ProfileErased>(new EraseProfile(user), Timeout);

        Assert.Equal(12, erased.EventsErased);
        Assert.False(DatabaseContains(user), "no byte of the user's id is left in profiles.db, its -wal or its -shm");
        Assert.Null((await entity.Ask<ProfileReply>(new GetProfile(user), Timeout)).Features);
        Assert.All((await Record(entity, history)).Outcomes, o => Assert.Equal(EventOutcome.Erased, o));
        Assert.False(DatabaseContains(user), "refused events write nothing");

        // A restart: a new node's list, loaded from the registry, and a new incarnation of the entity.
        await entity.GracefulStop(Timeout);
        var restarted = await TestErasures.LoadAsync(registry);
        var revived = Sys.ActorOf(UserProfileActor.Props(user, _settings, restarted));
        Assert.All((await Record(revived, history)).Outcomes, o => Assert.Equal(EventOutcome.Erased, o));
        Assert.Null((await revived.Ask<ProfileReply>(new GetProfile(user), Timeout)).Features);
        Assert.False(DatabaseContains(user));

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(before.Features),
            System.Text.Json.JsonSerializer.Serialize((await bystander.Ask<ProfileReply>(new GetProfile(other), Timeout)).Features));

        // The user comes back after the erasure: a new profile from the new events only.
        var comeback = Event(user, 100, erased.ErasedAt + 60_000);
        var ack = await Record(revived, comeback);
        Assert.Equal([EventOutcome.Applied], ack.Outcomes.ToArray());
        Assert.Equal(1, ack.Features.ProfileVersion);
    }

    [Fact]
    public async Task Erasing_a_user_with_no_events_records_the_erasure_and_deletes_nothing_else()
    {
        var user = TestErasures.Keys.Pseudonymize("nobody@example.com");
        var registry = TestErasures.Registry(Sys);
        var erasures = await TestErasures.LoadAsync(registry);
        var entity = Sys.ActorOf(UserProfileActor.Props(user, _settings, erasures));

        var erased = await entity.Ask<ProfileErased>(new EraseProfile(user), Timeout);

        Assert.Equal(0, erased.EventsErased);
        var fresh = await TestErasures.LoadAsync(registry);
        Assert.Equal(erased.ErasedAt, fresh.ErasedAt(user));
        Assert.Null(fresh.ErasedAt(TestErasures.Keys.Pseudonymize("somebody-else")));
    }

    private long SnapshotCount(string user)
    {
        using var connection = new SqliteConnection($"Data Source={_db.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", "profile-" + user);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Scans the raw bytes of the database file and its companions, not just what SQL still shows.</summary>
    private bool DatabaseContains(string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        foreach (var path in Directory.EnumerateFiles(_db.Directory))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            file.CopyTo(copy);
            if (copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(needle) >= 0)
                return true;
        }
        return false;
    }
}
