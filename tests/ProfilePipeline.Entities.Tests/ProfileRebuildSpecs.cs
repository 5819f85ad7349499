using System.Text.Json;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities.Storage;

namespace ProfilePipeline.Entities.Tests;

/// <summary>
/// Reading a user's history from the embedded journal, listing the journal's users, and rebuilding a profile from its
/// events after the profile settings changed (what `profilectl profile history` and `profilectl replay` do).
/// </summary>
public sealed class ProfileRebuildSpecs : TestKit, IClassFixture<SqliteJournalFixture>
{
    private static readonly long Start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly UserProfileSettings _settings;

    public ProfileRebuildSpecs(SqliteJournalFixture db) : base(db.Config(snapshotEvery: 5), "rebuild-specs") =>
        _settings = UserProfileSettings.FromConfig(Sys.Settings.Config);

    /// <summary>Twelve events twenty minutes apart: one session with a 30-minute gap, twelve with a 10-minute one.</summary>
    private static BehaviorEvent Event(string user, int i) => new(
        $"{user}-e{i}", user, i % 4 == 3 ? BehaviorType.Purchase : BehaviorType.View, Start + i * 20 * 60_000L, $"i{i % 3}", $"c{i % 2}",
        "b", i % 4 == 3 ? 10m + i : null, 1, null, null, null, BehaviorEvent.NoAttributes, new SourcePosition("spec", i));

    private async Task<IActorRef> EntityWithHistoryAsync(string user, UserProfileSettings settings, Erasures erasures)
    {
        var entity = Sys.ActorOf(UserProfileActor.Props(user, settings, erasures));
        foreach (var batch in Enumerable.Range(0, 12).Select(i => Event(user, i)).Chunk(3))
            await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [.. batch]), Timeout);
        return entity;
    }

    private IActorRef Journal => Persistence.Instance.Apply(Sys).JournalFor(null);

    private static string Json(ProfileFeatures? features) => JsonSerializer.Serialize(features);

    [Fact]
    public async Task The_journal_gives_a_users_newest_entries_and_lists_its_users_page_by_page()
    {
        var erasures = await TestErasures.LoadAsync(TestErasures.Registry(Sys));
        await EntityWithHistoryAsync("hist-a", _settings, erasures);
        await EntityWithHistoryAsync("hist-b", _settings, erasures);

        var last = await JournalReads.ReadLastAsync(Sys, Journal, "profile-hist-a", 2, Timeout);
        Assert.Equal(4, last.HighestSequenceNr);
        Assert.Equal([3L, 4L], last.Entries.Select(e => e.SequenceNr).ToArray());
        Assert.Equal(["hist-a-e6", "hist-a-e7", "hist-a-e8", "hist-a-e9", "hist-a-e10", "hist-a-e11"],
            last.Entries.SelectMany(e => ((BehaviorsRecorded)e.Payload).Events).Select(e => e.EventId).ToArray());
        Assert.All(last.Entries, e => Assert.True(e.Written > DateTime.UtcNow.AddMinutes(-5), "the entry's write time is read back"));
        Assert.Equal(0, (await JournalReads.ReadLastAsync(Sys, Journal, "profile-nobody", 5, Timeout)).HighestSequenceNr);

        var first = await Journal.Ask<PersistenceIdsListed>(new ListPersistenceIds("profile-hist-", "", 1), Timeout);
        Assert.Equal(["profile-hist-a"], first.Ids.ToArray());
        Assert.Equal(2, first.Total);
        var second = await Journal.Ask<PersistenceIdsListed>(new ListPersistenceIds("profile-hist-", first.Ids[^1], 1), Timeout);
        Assert.Equal(["profile-hist-b"], second.Ids.ToArray());
        var pages = new List<string>();
        await foreach (var page in JournalReads.ListAsync(Journal, "profile-hist-", 1, Timeout))
            pages.AddRange(page.Ids);
        Assert.Equal(["profile-hist-a", "profile-hist-b"], pages);
    }

    [Fact]
    public async Task A_rebuild_folds_the_journal_afresh_with_new_settings_and_recovery_then_starts_from_the_rebuilt_profile()
    {
        const string user = "rebuilt";
        var erasures = await TestErasures.LoadAsync(TestErasures.Registry(Sys));
        var entity = await EntityWithHistoryAsync(user, _settings, erasures);
        var unchanged = await entity.Ask<ProfileRebuilt>(new RebuildProfile(user, 0, long.MaxValue), Timeout);
        Assert.True(unchanged.InRange);
        Assert.False(unchanged.Changed, "the same settings fold the same profile");
        Assert.Equal(12, unchanged.Events);
        await entity.GracefulStop(Timeout);

        // The session gap shrinks from 30 to 10 minutes: recovery starts from a snapshot taken with the old gap.
        var shorterSessions = _settings with { Profile = _settings.Profile with { SessionGap = TimeSpan.FromMinutes(10) } };
        var restarted = Sys.ActorOf(UserProfileActor.Props(user, shorterSessions, erasures));
        var stale = (await restarted.Ask<ProfileReply>(new GetProfile(user), Timeout)).Features;
        var expected = ProfileState.Empty(shorterSessions.Profile);
        foreach (var entry in (await JournalReads.ReadAsync(Sys, Journal, "profile-" + user, 1, long.MaxValue, long.MaxValue, Timeout)).Entries)
            expected.ApplyInPlace((BehaviorsRecorded)entry.Payload);
        Assert.NotEqual(Json(expected.Features(user)), Json(stale));

        var outside = await restarted.Ask<ProfileRebuilt>(new RebuildProfile(user, Start - 2 * 86_400_000L, Start - 1), Timeout);
        Assert.False(outside.InRange);
        Assert.Null(outside.Features);
        Assert.Equal(Json(stale), Json((await restarted.Ask<ProfileReply>(new GetProfile(user), Timeout)).Features));

        var rebuilt = await restarted.Ask<ProfileRebuilt>(new RebuildProfile(user, Start + 60 * 60_000L, Start + 61 * 60_000L), Timeout);
        Assert.True(rebuilt.InRange);
        Assert.True(rebuilt.Changed);
        Assert.Equal(Json(expected.Features(user)), Json(rebuilt.Features));
        Assert.Equal(12, rebuilt.Features!.Sessions.Count);
        // A rebuild waits for a snapshot under way, so this answer means the rebuilt profile's snapshot is saved (a
        // snapshot store may serve a load before a save it got earlier from another actor is written).
        Assert.False((await restarted.Ask<ProfileRebuilt>(new RebuildProfile(user, Start - 2 * 86_400_000L, Start - 1), Timeout)).InRange);

        // Events go on after the rebuild, and a new incarnation recovers the rebuilt profile, not the stale snapshot.
        var next = Event(user, 12);
        var ack = await restarted.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [next]), Timeout);
        Assert.Equal([EventOutcome.Applied], ack.Outcomes.ToArray());
        expected.ApplyInPlace(new BehaviorsRecorded([next], []));
        await restarted.GracefulStop(Timeout);
        var recovered = Sys.ActorOf(UserProfileActor.Props(user, shorterSessions, erasures));
        Assert.Equal(Json(expected.Features(user)), Json((await recovered.Ask<ProfileReply>(new GetProfile(user), Timeout)).Features));
    }
}
