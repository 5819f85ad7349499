using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Npgsql;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities.Storage;

namespace ProfilePipeline.Entities.Tests;

/// <summary>A throwaway PostgreSQL 15 server for one test class (skipped, with the reason, where it is not installed).</summary>
public sealed class PostgresFixture : IDisposable
{
    public PostgresFixture()
    {
        if (ThrowawayPostgres.FindBinaries() is not null)
            Server = ThrowawayPostgres.Start();
    }

    public ThrowawayPostgres? Server { get; }

    public void Dispose() => Server?.Dispose();
}

/// <summary>The entity on PostgreSQL through configuration alone (Akka.Persistence.Sql, provider PostgreSQL.15): persist, stop, recover.</summary>
public sealed class PostgresJournalSpecs : TestKit, IClassFixture<PostgresFixture>
{
    private static readonly long Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private readonly PostgresFixture _postgres;
    private readonly UserProfileSettings _settings;

    public PostgresJournalSpecs(PostgresFixture postgres) : base(Configuration(postgres), "postgres-specs")
    {
        _postgres = postgres;
        _settings = UserProfileSettings.FromConfig(Sys.Settings.Config);
    }

    private static Config Configuration(PostgresFixture postgres) =>
        SqliteJournalFixture.EntityConfig(snapshotEvery: 5).WithFallback(postgres.Server is null
            ? ConfigurationFactory.Empty
            : PersistenceConfig.Sql(postgres.Server.ConnectionString, PersistenceConfig.PostgresProvider));

    private static BehaviorEvent Event(int i) => new(
        $"e{i}", "pg-user", i % 4 == 3 ? BehaviorType.Purchase : BehaviorType.View, Start + i * 60_000L, $"i{i % 3}", $"c{i % 2}", "b",
        i % 4 == 3 ? 10m + i : null, 1, null, null, null, BehaviorEvent.NoAttributes, new SourcePosition("spec", i));

    [SkippableFact]
    public async Task An_entity_on_postgresql_recovers_from_snapshot_plus_tail_the_state_of_the_full_fold()
    {
        Skip.If(_postgres.Server is null, "PostgreSQL server binaries (initdb, pg_ctl) are not installed");
        var erasures = await TestErasures.LoadAsync(TestErasures.Registry(Sys));
        var entity = Sys.ActorOf(UserProfileActor.Props("pg-user", _settings, erasures));
        var expected = ProfileState.Empty(_settings.Profile);
        for (var i = 0; i < 13; i++)
        {
            await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors("pg-user", ImmutableArray.Create(Event(i))), TimeSpan.FromSeconds(20));
            expected = expected.Apply(expected.Decide([Event(i)]).ToPersist!);
        }
        await entity.GracefulStop(TimeSpan.FromSeconds(5));
        await AwaitConditionAsync(() => Task.FromResult(Count("snapshot") >= 1), TimeSpan.FromSeconds(20));
        Assert.Equal(13, Count("journal"));

        var revived = Sys.ActorOf(UserProfileActor.Props("pg-user", _settings, erasures));
        var reply = await revived.Ask<ProfileReply>(new GetProfile("pg-user"), TimeSpan.FromSeconds(20));
        Assert.Equal(JsonSerializer.Serialize(expected.Features("pg-user")), JsonSerializer.Serialize(reply.Features));
    }

    [SkippableFact]
    public async Task Erasing_a_user_on_postgresql_leaves_no_row_that_holds_their_id()
    {
        Skip.If(_postgres.Server is null, "PostgreSQL server binaries (initdb, pg_ctl) are not installed");
        var erasures = await TestErasures.LoadAsync(TestErasures.Registry(Sys));
        var user = TestErasures.Keys.Pseudonymize("pg-erin@example.com");
        var entity = Sys.ActorOf(UserProfileActor.Props(user, _settings, erasures));
        for (var i = 0; i < 13; i++)
            await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [Event(i) with { UserId = user }]), TimeSpan.FromSeconds(20));
        await AwaitConditionAsync(() => Task.FromResult(RowsHolding(user) > 13), TimeSpan.FromSeconds(20)); // events and a snapshot

        var erased = await entity.Ask<ProfileErased>(new EraseProfile(user), TimeSpan.FromSeconds(20));

        Assert.Equal(13, erased.EventsErased);
        Assert.Equal(0, RowsHolding(user));
        var replay = await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [Event(3) with { UserId = user }]), TimeSpan.FromSeconds(20));
        Assert.Equal([EventOutcome.Erased], replay.Outcomes.ToArray());
        Assert.Equal(0, RowsHolding(user));
    }

    [SkippableFact]
    public async Task On_postgresql_the_journal_lists_its_users_gives_their_history_and_a_profile_rebuilds_from_it()
    {
        Skip.If(_postgres.Server is null, "PostgreSQL server binaries (initdb, pg_ctl) are not installed");
        var erasures = await TestErasures.LoadAsync(TestErasures.Registry(Sys));
        var journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        foreach (var user in new[] { "pg-list-b", "pg-list-a" })
        {
            var entity = Sys.ActorOf(UserProfileActor.Props(user, _settings, erasures));
            for (var i = 0; i < 4; i++)
                await entity.Ask<BehaviorsAcknowledged>(new RecordBehaviors(user, [Event(i) with { UserId = user }]), TimeSpan.FromSeconds(20));
        }

        var pages = new List<string>();
        long total = -1;
        await foreach (var page in JournalReads.ListAsync(journal, "profile-pg-list-", 1, TimeSpan.FromSeconds(20)))
        {
            pages.AddRange(page.Ids);
            total = Math.Max(total, page.Total);
        }
        Assert.Equal(["profile-pg-list-a", "profile-pg-list-b"], pages);
        Assert.Equal(2, total);

        var history = await JournalReads.ReadLastAsync(Sys, journal, "profile-pg-list-a", 2, TimeSpan.FromSeconds(20));
        Assert.Equal(4, history.HighestSequenceNr);
        Assert.Equal([3L, 4L], history.Entries.Select(e => e.SequenceNr).ToArray());
        Assert.Equal(Event(3).EventId, ((BehaviorsRecorded)history.Entries[^1].Payload).Events.Single().EventId);

        var rebuilt = await Sys.ActorOf(UserProfileActor.Props("pg-list-a", _settings, erasures))
            .Ask<ProfileRebuilt>(new RebuildProfile("pg-list-a", 0, long.MaxValue), TimeSpan.FromSeconds(20));
        Assert.True(rebuilt.InRange);
        Assert.False(rebuilt.Changed);
        Assert.Equal(4, rebuilt.Events);
    }

    /// <summary>Rows of any table in the database whose text columns mention <paramref name="text"/> or whose binary columns contain it.</summary>
    private long RowsHolding(string text)
    {
        using var connection = new NpgsqlConnection(_postgres.Server!.ConnectionString);
        connection.Open();
        var columns = new List<(string Table, string Column, string Type)>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        long rows = 0;
        foreach (var table in columns.GroupBy(c => c.Table))
        {
            var conditions = table.Select(c => c.Type == "bytea"
                ? $"position(convert_to(@text, 'UTF8') in \"{c.Column}\") > 0"
                : $"\"{c.Column}\"::text LIKE '%' || @text || '%'");
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM \"{table.Key}\" WHERE {string.Join(" OR ", conditions)}";
            command.Parameters.AddWithValue("text", text);
            rows += (long)command.ExecuteScalar()!;
        }
        return rows;
    }

    private long Count(string table)
    {
        using var connection = new NpgsqlConnection(_postgres.Server!.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table} WHERE persistence_id = 'profile-pg-user'";
        return (long)command.ExecuteScalar()!;
    }
}
