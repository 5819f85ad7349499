using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Sql.Journal;
using Npgsql;

namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// Akka.Persistence.Sql's journal on PostgreSQL, plus erasure. Its delete keeps the highest event of a persistence id
/// (marked deleted, payload and all) so that sequence numbers are never reused; an erasure must not keep it. A delete
/// up to <see cref="long.MaxValue"/> (what <see cref="UserProfileActor"/> sends to erase) is therefore followed by the
/// removal of every row of the persistence id from every table of the journal's schema that has a
/// <c>persistence_id</c> column (the journal, its tag table, the snapshots).
/// </summary>
/// <para>It also lists the persistence ids it holds (<see cref="ListPersistenceIds"/>), for rebuilding profiles.</para>
/// <remarks>
/// PostgreSQL keeps deleted rows in its data files until VACUUM reclaims them (autovacuum does, in time); the
/// rows are invisible to every query from the moment the erasure commits.
/// </remarks>
public sealed class ErasingSqlJournal(Config config) : SqlWriteJournal(config)
{
    private readonly string _connectionString = config.GetString("connection-string");
    private readonly string _journalTable = QualifiedTable(config);

    private static string QualifiedTable(Config config)
    {
        var table = "\"" + config.GetString("default.journal.table-name", "journal").Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return config.GetString("default.schema-name", null) is { Length: > 0 } schema
            ? "\"" + schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"." + table
            : table;
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not ListPersistenceIds list)
            return base.ReceivePluginInternal(message);
        ListAsync(list).PipeTo(Sender, failure: e => new Status.Failure(e));
        return true;
    }

    private async Task<PersistenceIdsListed> ListAsync(ListPersistenceIds list)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        var ids = ImmutableArray.CreateBuilder<string>();
        await using (var page = connection.CreateCommand())
        {
            page.CommandText = $"SELECT DISTINCT persistence_id COLLATE \"C\" AS id FROM {_journalTable} "
                               + "WHERE deleted = false AND starts_with(persistence_id, @prefix) AND persistence_id COLLATE \"C\" > @after ORDER BY id LIMIT @limit";
            page.Parameters.AddWithValue("prefix", list.Prefix);
            page.Parameters.AddWithValue("after", list.After);
            page.Parameters.AddWithValue("limit", list.Limit);
            await using var reader = await page.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
                ids.Add(reader.GetString(0));
        }
        long total = -1;
        if (list.After.Length == 0)
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(DISTINCT persistence_id) FROM {_journalTable} WHERE deleted = false AND starts_with(persistence_id, @prefix)";
            count.Parameters.AddWithValue("prefix", list.Prefix);
            total = (long)(await count.ExecuteScalarAsync().ConfigureAwait(false))!;
        }
        return new PersistenceIdsListed(ids.ToImmutable(), total);
    }

    protected override async Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await base.DeleteMessagesToAsync(persistenceId, toSequenceNr, cancellationToken).ConfigureAwait(false);
        if (toSequenceNr == long.MaxValue)
            await PurgeAsync(persistenceId, cancellationToken).ConfigureAwait(false);
    }

    private async Task PurgeAsync(string persistenceId, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = """
                SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.columns
                WHERE column_name = 'persistence_id' AND table_schema = current_schema()
                """;
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                tables.Add(reader.GetString(0));
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var table in tables)
        {
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {table} WHERE persistence_id = @id";
            delete.Parameters.AddWithValue("id", persistenceId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
