using System.Collections.Immutable;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>One decision, as the user's entity records it: the profile version flagged inactive, and/or the rule that fired.</summary>
/// <param name="FlaggedVersion">The profile version found inactive (null: no flag).</param>
/// <param name="Rule">The rule whose action was taken (null: none).</param>
/// <param name="At">Event time (epoch ms) of the decision.</param>
public sealed record LedgerEntry(long? FlaggedVersion, string? Rule, long At);

/// <summary>What the ledger decided for a request.</summary>
/// <param name="Flagged">True when the requested inactivity flag is new (not a repeat, and the profile did not change since).</param>
/// <param name="Rule">The highest-priority holding rule whose cap has room; null when none.</param>
/// <param name="Capped">Holding rules skipped because of their cap.</param>
public sealed record LedgerDecision(bool Flagged, DecisionRule? Rule, int Capped)
{
    /// <summary>For a flag of the version flagged already: the rule that fired with it then (null: none), so that a flag whose output was lost can be published again.</summary>
    public string? RepeatedRule { get; init; }

    /// <summary>True when the request was for the version flagged already.</summary>
    public bool Repeat { get; init; }

    /// <summary>The entry to record; null when nothing was decided.</summary>
    public LedgerEntry? ToRecord(long? flaggedVersion, long at) =>
        Flagged || Rule is not null ? new LedgerEntry(Flagged ? flaggedVersion : null, Rule?.Name, at) : null;
}

/// <summary>
/// One user's decisions, held by the user's entity and persisted with it, so that caps and flags outlive restarts and
/// follow the user to whichever node holds them: the profile version last flagged inactive (a version is flagged
/// once, whichever node's timer fires, and however often), and the actions of the longest cap period. Caps count in
/// event time, also out of order: any action of the rule within <c>Per</c> before the new one counts.
/// </summary>
public sealed class DecisionLedger
{
    private readonly List<(string Rule, long At)> _actions = [];

    /// <summary>The profile version last flagged inactive (0: none).</summary>
    public long FlaggedVersion { get; private set; }

    /// <summary>The rule that fired with the last flag (null: none).</summary>
    public string? FlagRule { get; private set; }

    public IReadOnlyList<(string Rule, long At)> Actions => _actions;

    public static DecisionLedger Empty() => new();

    /// <summary>
    /// Decides a request: flag version <paramref name="flagVersion"/> of a profile now at <paramref name="currentVersion"/>
    /// (refused when the profile moved on or that version was flagged already; then no inactivity rule fires either),
    /// and take the first of <paramref name="holding"/> (in the order tried) whose cap has room at <paramref name="at"/>.
    /// </summary>
    public LedgerDecision Decide(long currentVersion, long? flagVersion, IReadOnlyList<DecisionRule> holding, long at)
    {
        if (flagVersion is { } version && (version != currentVersion || version <= FlaggedVersion))
            return new LedgerDecision(false, null, 0) { Repeat = version == FlaggedVersion, RepeatedRule = version == FlaggedVersion ? FlagRule : null };
        var capped = 0;
        foreach (var rule in holding)
        {
            if (CountWithin(rule, at) < rule.Cap.Count)
                return new LedgerDecision(flagVersion is not null, rule, capped);
            capped++;
        }
        return new LedgerDecision(flagVersion is not null, null, capped);
    }

    private int CountWithin(DecisionRule rule, long at)
    {
        var since = at - (long)rule.Cap.Per.TotalMilliseconds;
        var count = 0;
        foreach (var (name, when) in _actions)
        {
            if (when > since && name == rule.Name)
                count++;
        }
        return count;
    }

    /// <summary>Applies a recorded entry; actions older than <paramref name="keep"/> before the newest are forgotten.</summary>
    public void Apply(LedgerEntry entry, TimeSpan keep)
    {
        if (entry.FlaggedVersion is { } version && version > FlaggedVersion)
        {
            FlaggedVersion = version;
            FlagRule = entry.Rule;
        }
        if (entry.Rule is null)
            return;
        _actions.Add((entry.Rule, entry.At));
        var newest = _actions.Max(a => a.At);
        _actions.RemoveAll(a => a.At <= newest - (long)keep.TotalMilliseconds);
    }

    /// <summary>Layout: version 2, flagged version, the flag's rule (empty: none), count, then (rule, at) pairs.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)2);
            writer.Write(FlaggedVersion);
            writer.Write(FlagRule ?? "");
            writer.Write(_actions.Count);
            foreach (var (rule, at) in _actions)
            {
                writer.Write(rule);
                writer.Write(at);
            }
        }
        return stream.ToArray();
    }

    public static DecisionLedger FromBytes(ReadOnlySpan<byte> bytes)
    {
        var ledger = new DecisionLedger();
        if (bytes.IsEmpty)
            return ledger;
        using var reader = new BinaryReader(new MemoryStream(bytes.ToArray()));
        var layout = reader.ReadByte();
        if (layout != 2)
            throw new InvalidDataException($"unknown decision ledger layout {layout}");
        ledger.FlaggedVersion = reader.ReadInt64();
        ledger.FlagRule = reader.ReadString() is { Length: > 0 } rule ? rule : null;
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
            ledger._actions.Add((reader.ReadString(), reader.ReadInt64()));
        return ledger;
    }

}
