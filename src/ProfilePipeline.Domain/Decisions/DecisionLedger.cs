using System.Collections.Immutable;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>
/// What an action was decided on, as its output shows it (docs/actions.md): kept with the action, so that an action
/// published again after a crash says what it said the first time, whatever model or profile serves now.
/// </summary>
public sealed record DecisionBasis(long ProfileVersion, double Propensity, string ModelVersion, double ChurnRisk, string Tier,
    SegmentAssignment? Segment, ImmutableArray<string> Tags)
{
    /// <summary>Equal by value, the tags as a sequence.</summary>
    public bool Equals(DecisionBasis? other) =>
        other is not null && ProfileVersion == other.ProfileVersion && Propensity.Equals(other.Propensity) && ModelVersion == other.ModelVersion
        && ChurnRisk.Equals(other.ChurnRisk) && Tier == other.Tier && Equals(Segment, other.Segment) && Tags.SequenceEqual(other.Tags);

    public override int GetHashCode() => HashCode.Combine(ProfileVersion, Propensity, ModelVersion, Tier, Tags.Length);

    public static DecisionBasis Of(ScoredProfile p) =>
        new(p.Features.ProfileVersion, p.Propensity, p.ModelVersion, p.ChurnRisk, p.Rfm.Tier, p.Segment, [.. p.Tags]);

    /// <summary><paramref name="current"/> with the scores, tier, segment and tags the decision was made on.</summary>
    public ScoredProfile On(ScoredProfile current) => current with
    {
        Features = current.Features with { ProfileVersion = ProfileVersion },
        Propensity = Propensity,
        ModelVersion = ModelVersion,
        ChurnRisk = ChurnRisk,
        Rfm = current.Rfm with { Tier = Tier },
        Segment = Segment,
        Tags = [.. Tags],
    };

    public void Write(BinaryWriter writer)
    {
        writer.Write(ProfileVersion);
        writer.Write(Propensity);
        writer.Write(ModelVersion);
        writer.Write(ChurnRisk);
        writer.Write(Tier);
        writer.Write(Segment is not null);
        if (Segment is { } segment)
        {
            writer.Write(segment.Id);
            writer.Write(segment.Name);
            writer.Write(segment.Version);
        }
        writer.Write(Tags.Length);
        foreach (var tag in Tags)
            writer.Write(tag);
    }

    public static DecisionBasis Read(BinaryReader reader)
    {
        var version = reader.ReadInt64();
        var propensity = reader.ReadDouble();
        var model = reader.ReadString();
        var churn = reader.ReadDouble();
        var tier = reader.ReadString();
        var segment = reader.ReadBoolean() ? new SegmentAssignment(reader.ReadString(), reader.ReadString(), reader.ReadInt32()) : null;
        var tags = ImmutableArray.CreateBuilder<string>(reader.ReadInt32());
        for (var i = 0; i < tags.Capacity; i++)
            tags.Add(reader.ReadString());
        return new DecisionBasis(version, propensity, model, churn, tier, segment, tags.MoveToImmutable());
    }
}

/// <summary>One decision, as the user's entity records it: the profile version flagged inactive, and/or the rule that fired.</summary>
/// <param name="FlaggedVersion">The profile version found inactive (null: no flag).</param>
/// <param name="Rule">The rule whose action was taken (null: none).</param>
/// <param name="At">Event time (epoch ms) of the decision.</param>
/// <param name="Ride">The offset, in the user's input partition, of the record the decision was published with.</param>
/// <param name="Basis">What the action was decided on (null: no action).</param>
public sealed record LedgerEntry(long? FlaggedVersion, string? Rule, long At, long Ride, DecisionBasis? Basis);

/// <summary>What the ledger decided for a request.</summary>
/// <param name="Flagged">True when the requested inactivity flag is new (not a repeat, and the profile did not change since).</param>
/// <param name="Rule">The highest-priority holding rule whose cap has room; null when none.</param>
/// <param name="Capped">Holding rules skipped because of their cap.</param>
public sealed record LedgerDecision(bool Flagged, DecisionRule? Rule, int Capped)
{
    /// <summary>The same request (same flag or update, time and record) was decided before: this is that decision, not recorded again.</summary>
    public bool Replayed { get; init; }

    /// <summary>The flag was refused because that version was flagged already (by another timer).</summary>
    public bool AlreadyFlagged { get; init; }

    /// <summary>The entry to record; null when nothing new was decided.</summary>
    public LedgerEntry? ToRecord(long? flaggedVersion, long at, long ride, DecisionBasis basis) =>
        !Replayed && (Flagged || Rule is not null) ? new LedgerEntry(Flagged ? flaggedVersion : null, Rule?.Name, at, ride, Rule is null ? null : basis) : null;
}

/// <summary>An action recorded in a ledger: its rule, time, record, and what it was decided on.</summary>
public sealed record PastAction(string Rule, long At, long Ride, DecisionBasis Basis);

/// <summary>
/// One user's decisions, held by the user's entity and persisted with it, so that caps and flags outlive restarts and
/// follow the user to whichever node holds them: the profile version last flagged inactive (a version is flagged
/// once, whichever node's timer fires, and however often), and the actions of the longest cap period. Caps count in
/// event time, also out of order: any action of the rule within <c>Per</c> before the new one counts. Each decision
/// keeps the offset of the record it was published with, so that the decisions a crash may have cut from the outputs
/// (published with records read again) can be published again (<see cref="Since"/>), and a request asked again (after
/// a timeout) gets the same answer.
/// </summary>
public sealed class DecisionLedger
{
    private readonly List<PastAction> _actions = [];

    /// <summary>The profile version last flagged inactive (0: none), with the rule that fired with it, its time and record.</summary>
    public long FlaggedVersion { get; private set; }

    public string? FlagRule { get; private set; }

    public long FlagAt { get; private set; }

    public long FlagRide { get; private set; }

    public IReadOnlyList<PastAction> Actions => _actions;

    public static DecisionLedger Empty() => new();

    /// <summary>
    /// Decides a request: flag version <paramref name="flagVersion"/> of a profile now at <paramref name="currentVersion"/>
    /// (refused when the profile moved on or that version was flagged already; then no inactivity rule fires either),
    /// and take the first of <paramref name="holding"/> (in the order tried) whose cap has room at <paramref name="at"/>.
    /// The same request again (same flag or update, time and record) gets the decision it got then.
    /// </summary>
    public LedgerDecision Decide(long currentVersion, long? flagVersion, IReadOnlyList<DecisionRule> holding, long at, long ride)
    {
        if (flagVersion is { } version)
        {
            if (version == FlaggedVersion && FlagAt == at && FlagRide == ride)
                return new LedgerDecision(true, holding.FirstOrDefault(r => r.Name == FlagRule), 0) { Replayed = true };
            if (version != currentVersion || version <= FlaggedVersion)
                return new LedgerDecision(false, null, 0) { AlreadyFlagged = version == FlaggedVersion };
        }
        else
        {
            foreach (var past in _actions)
            {
                if (past.At == at && past.Ride == ride)
                    return new LedgerDecision(false, holding.FirstOrDefault(r => r.Name == past.Rule), 0) { Replayed = true };
            }
        }
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
        foreach (var past in _actions)
        {
            if (past.At > since && past.Rule == rule.Name)
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
            FlagAt = entry.At;
            FlagRide = entry.Ride;
        }
        if (entry.Rule is null)
            return;
        _actions.Add(new PastAction(entry.Rule, entry.At, entry.Ride, entry.Basis ?? throw new InvalidDataException("an action without its basis")));
        var newest = _actions.Max(a => a.At);
        _actions.RemoveAll(a => a.At <= newest - (long)keep.TotalMilliseconds);
    }

    /// <summary>Whether the flag was published with a record at or after <paramref name="ride"/>, and the actions that were (the flag's own among them).</summary>
    public (bool Flag, ImmutableArray<PastAction> Actions) Since(long ride) =>
        (FlaggedVersion > 0 && FlagRide >= ride, [.. _actions.Where(a => a.Ride >= ride)]);

    /// <summary>Layout: version 3; the flag (version, rule or empty, time, record); count, then (rule, time, record, basis) per action.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)3);
            writer.Write(FlaggedVersion);
            writer.Write(FlagRule ?? "");
            writer.Write(FlagAt);
            writer.Write(FlagRide);
            writer.Write(_actions.Count);
            foreach (var (rule, at, ride, basis) in _actions)
            {
                writer.Write(rule);
                writer.Write(at);
                writer.Write(ride);
                basis.Write(writer);
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
        if (layout != 3)
            throw new InvalidDataException($"unknown decision ledger layout {layout}");
        ledger.FlaggedVersion = reader.ReadInt64();
        ledger.FlagRule = reader.ReadString() is { Length: > 0 } rule ? rule : null;
        ledger.FlagAt = reader.ReadInt64();
        ledger.FlagRide = reader.ReadInt64();
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
            ledger._actions.Add(new PastAction(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), DecisionBasis.Read(reader)));
        return ledger;
    }
}
