namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// The tables of the embedded store. Events are appended in commit order (<c>ordering</c>, which a replay of
/// everything can follow) and found by (persistence id, sequence number) through a unique index, so a recovery
/// reads one short range. Payloads stay out of the index: rows of a few hundred bytes would make a clustered
/// (WITHOUT ROWID) table spill onto overflow pages. <c>journal_highest</c> remembers the highest
/// sequence number of a user whose events were deleted, so that a recovered entity never reuses one.
/// </summary>
public static class SqliteSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS journal (
          ordering INTEGER PRIMARY KEY,
          persistence_id TEXT NOT NULL,
          sequence_nr INTEGER NOT NULL,
          created INTEGER NOT NULL,
          serializer_id INTEGER NOT NULL,
          manifest TEXT NOT NULL,
          writer_uuid TEXT NOT NULL,
          payload BLOB NOT NULL,
          UNIQUE (persistence_id, sequence_nr)
        );
        CREATE TABLE IF NOT EXISTS journal_highest (
          persistence_id TEXT NOT NULL PRIMARY KEY,
          sequence_nr INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS snapshot (
          persistence_id TEXT NOT NULL,
          sequence_nr INTEGER NOT NULL,
          created INTEGER NOT NULL,
          serializer_id INTEGER NOT NULL,
          manifest TEXT NOT NULL,
          payload BLOB NOT NULL,
          UNIQUE (persistence_id, sequence_nr)
        );
        """;
}
