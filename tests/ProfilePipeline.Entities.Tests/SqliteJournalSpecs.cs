using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;

namespace ProfilePipeline.Entities.Tests;

/// <summary>The embedded journal plugin through real persistent actors: many writers at once, deletion, and recovery after it.</summary>
public sealed class SqliteJournalSpecs : TestKit, IClassFixture<SqliteJournalFixture>
{
    private readonly SqliteJournalFixture _db;

    public SqliteJournalSpecs(SqliteJournalFixture db) : base(db.Config(snapshotEvery: 1000), "journal-specs") => _db = db;

    /// <summary>Persists the strings it is told, replies with its sequence number; "delete" deletes every event so far.</summary>
    private sealed class Recorder : ReceivePersistentActor
    {
        private readonly List<string> _seen = [];

        public Recorder(string id)
        {
            PersistenceId = id;
            Recover<string>(_seen.Add);
            Command<string>(text => text == "delete", _ =>
            {
                var replyTo = Sender;
                DeleteMessages(LastSequenceNr);
                Become(() =>
                {
                    Command<DeleteMessagesSuccess>(_ => { replyTo.Tell(LastSequenceNr); UnbecomeStacked(); });
                    Command<DeleteMessagesFailure>(f => replyTo.Tell(new Status.Failure(f.Cause)));
                });
            });
            Command<string>(text => text == "seen", _ => Sender.Tell(string.Join(",", _seen)));
            Command<string>(text => Persist(text, t => { _seen.Add(t); Sender.Tell(LastSequenceNr); }));
        }

        public override string PersistenceId { get; }
    }

    private long Rows(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={_db.DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM journal WHERE persistence_id = $1";
        command.Parameters.AddWithValue("$1", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Many_actors_persisting_at_once_all_recover_their_own_events_in_order()
    {
        var actors = Enumerable.Range(0, 200).Select(i => Sys.ActorOf(Props.Create(() => new Recorder("many-" + i)))).ToList();
        for (var round = 0; round < 5; round++)
            await Task.WhenAll(actors.Select((a, i) => a.Ask<long>($"{i}:{round}", TimeSpan.FromSeconds(20))));
        await Task.WhenAll(actors.Select(a => a.GracefulStop(TimeSpan.FromSeconds(5))));

        for (var i = 0; i < 200; i += 37)
        {
            var revived = Sys.ActorOf(Props.Create(() => new Recorder("many-" + i)));
            Assert.Equal($"{i}:0,{i}:1,{i}:2,{i}:3,{i}:4", await revived.Ask<string>("seen", TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task Deleted_events_are_gone_and_a_recovered_actor_never_reuses_their_sequence_numbers()
    {
        var id = "erased-" + Guid.NewGuid().ToString("N");
        var actor = Sys.ActorOf(Props.Create(() => new Recorder(id)));
        foreach (var text in new[] { "a", "b", "c" })
            await actor.Ask<long>(text, TimeSpan.FromSeconds(10));
        Assert.Equal(3L, await actor.Ask<long>("delete", TimeSpan.FromSeconds(10)));
        await actor.GracefulStop(TimeSpan.FromSeconds(5));
        Assert.Equal(0, Rows(id));

        var revived = Sys.ActorOf(Props.Create(() => new Recorder(id)));
        Assert.Equal("", await revived.Ask<string>("seen", TimeSpan.FromSeconds(10)));
        Assert.Equal(4L, await revived.Ask<long>("d", TimeSpan.FromSeconds(10)));
        Assert.Equal(1, Rows(id));
    }
}
