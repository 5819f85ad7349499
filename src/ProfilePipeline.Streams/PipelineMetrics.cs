using System.Collections.Concurrent;
using System.Diagnostics;

namespace ProfilePipeline.Streams;

/// <summary>Counters the graph updates and the progress display, the summary and the admin endpoint read. Thread-safe.</summary>
public sealed class PipelineMetrics
{
    private long _read;
    private long _accepted;
    private long _applied;
    private long _redelivered;
    private long _refusedAsErased;
    private long _decisionPoints;
    private long _labelsReleased;
    private long _positiveLabels;
    private long _decisionPointsRestored;
    private long _decisionPointsHandedOver;
    private long _decisionPointsUnlabelled;
    private long _openDecisionPoints;
    private long _duplicates;
    private long _deadLetters;
    private long _profilesWritten;
    private long _unknownItems;
    private long _completed;
    private long _usersFoundInactive;
    private long _inactivityNotConfirmed;
    private long _inactivityTimers;
    private long _actionsCapped;
    private long _inactivityTimersRestored;
    private long _decisionsRepublished;
    private long _stageAsksRetried;
    private long _labelWrites;
    private long _decisionPointsIndexed;
    private readonly ConcurrentDictionary<string, long> _actionsByName = new();
    private long _maxEventTime = long.MinValue;
    private readonly ConcurrentDictionary<string, long> _deadLettersByReason = new();
    private readonly LatencyHistogram _latency = new();
    private readonly HashSet<string> _users = new(StringComparer.Ordinal);
    private long _userCount;
    private long _latencyFrom = long.MinValue;

    public long Read => Interlocked.Read(ref _read);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Applied => Interlocked.Read(ref _applied);
    public long Redelivered => Interlocked.Read(ref _redelivered);
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Decision points taken for the online learner, labels released to it, and how many of those were purchases.</summary>
    public long DecisionPoints => Interlocked.Read(ref _decisionPoints);
    public long LabelsReleased => Interlocked.Read(ref _labelsReleased);
    public long PositiveLabels => Interlocked.Read(ref _positiveLabels);

    /// <summary>Open decision points loaded from the partitions' durable indexes (after a restart or a rebalance).</summary>
    public long DecisionPointsRestored => Interlocked.Read(ref _decisionPointsRestored);

    /// <summary>Decision points never labelled: too many were open (the oldest dropped), or they came after their horizon had closed.</summary>
    public long DecisionPointsUnlabelled => Interlocked.Read(ref _decisionPointsUnlabelled);

    /// <summary>Decision points open on this node now, waiting for the watermark to pass their horizon.</summary>
    public long OpenDecisionPoints => Interlocked.Read(ref _openDecisionPoints);

    internal void RecordLabels(int decisionPoints, IReadOnlyList<Domain.Learning.LabeledExample> released, int open, long unlabelledSoFar)
    {
        Interlocked.Add(ref _decisionPoints, decisionPoints);
        Interlocked.Exchange(ref _openDecisionPoints, open);
        Interlocked.Exchange(ref _decisionPointsUnlabelled, unlabelledSoFar);
        if (released.Count == 0)
            return;
        Interlocked.Add(ref _labelsReleased, released.Count);
        Interlocked.Add(ref _positiveLabels, released.Count(l => l.Purchased));
    }

    internal void RecordDecisionPointsRestored(int points) => Interlocked.Add(ref _decisionPointsRestored, points);

    /// <summary>
    /// Writes of the label stage (labels to the learner, then changes to the partitions' indexes), made at checkpoints
    /// and commits, and the decision points they wrote open to an index: those still open at a checkpoint after them.
    /// </summary>
    public long LabelWrites => Interlocked.Read(ref _labelWrites);

    public long DecisionPointsIndexed => Interlocked.Read(ref _decisionPointsIndexed);

    internal void RecordLabelWrite(int pointsIndexed)
    {
        Interlocked.Increment(ref _labelWrites);
        Interlocked.Add(ref _decisionPointsIndexed, pointsIndexed);
    }

    /// <summary>Open decision points let go because their partition moved to another node in a rebalance (which restores and labels them).</summary>
    public long DecisionPointsHandedOver => Interlocked.Read(ref _decisionPointsHandedOver);

    internal void RecordDecisionPointsHandedOver(int points) => Interlocked.Add(ref _decisionPointsHandedOver, points);

    /// <summary>Users found inactive (an inactivity timer fired in event time) and flagged on the profile output.</summary>
    public long UsersFoundInactive => Interlocked.Read(ref _usersFoundInactive);

    /// <summary>Silences the user's entity did not confirm: it held a newer version (events elsewhere, or still in flight) or none (erased).</summary>
    public long InactivityNotConfirmed => Interlocked.Read(ref _inactivityNotConfirmed);

    internal void RecordInactivityNotConfirmed() => Interlocked.Increment(ref _inactivityNotConfirmed);

    /// <summary>Users with a pending inactivity timer on this node.</summary>
    public long InactivityTimers => Interlocked.Read(ref _inactivityTimers);

    /// <summary>Actions the decision rules produced, by action.</summary>
    public IReadOnlyDictionary<string, long> ActionsByName => _actionsByName;

    /// <summary>Times a rule's condition held but its frequency cap stopped it.</summary>
    public long ActionsCapped => Interlocked.Read(ref _actionsCapped);

    internal void RecordDecisions(int foundInactive, IReadOnlyList<Domain.Decisions.ProfileAction> actions, int timers, long capped)
    {
        Interlocked.Add(ref _usersFoundInactive, foundInactive);
        foreach (var action in actions)
            _actionsByName.AddOrUpdate(action.Action, 1, (_, n) => n + 1);
        Interlocked.Exchange(ref _inactivityTimers, timers);
        Interlocked.Add(ref _actionsCapped, capped);
    }

    /// <summary>Inactivity timers loaded from the partitions' durable indexes when this run first saw each partition.</summary>
    public long InactivityTimersRestored => Interlocked.Read(ref _inactivityTimersRestored);

    internal void RecordTimersRestored(int timers) => Interlocked.Add(ref _inactivityTimersRestored, timers);

    /// <summary>Users whose decisions (a flag, actions) were published again after a restart, as a crash may have cut them.</summary>
    public long DecisionsRepublished => Interlocked.Read(ref _decisionsRepublished);

    internal void RecordDecisionsRepublished() => Interlocked.Increment(ref _decisionsRepublished);

    /// <summary>Asks of the label and decision stages (to entities, partition indexes and the learner) repeated after a timeout.</summary>
    public long StageAsksRetried => Interlocked.Read(ref _stageAsksRetried);

    public void RecordStageAskRetried() => Interlocked.Increment(ref _stageAsksRetried);

    /// <summary>Events of erased users from before their erasure (a replay of old input): refused, kept nowhere.</summary>
    public long RefusedAsErased => Interlocked.Read(ref _refusedAsErased);
    public long DeadLetters => Interlocked.Read(ref _deadLetters);
    public long ProfilesWritten => Interlocked.Read(ref _profilesWritten);
    public long UnknownItems => Interlocked.Read(ref _unknownItems);
    public long Completed => Interlocked.Read(ref _completed);
    public long? MaxEventTime => Interlocked.Read(ref _maxEventTime) is var t && t == long.MinValue ? null : t;
    public IReadOnlyDictionary<string, long> DeadLettersByReason => _deadLettersByReason;
    public LatencyHistogram Latency => _latency;

    /// <summary>
    /// How long a user's entity took to answer a batch: the message there and back, the decision, and the journal
    /// write (the reply is sent once the write has committed), so mostly persistence latency.
    /// </summary>
    public LatencyHistogram EntityUpdates { get; } = new();

    /// <summary>Consumer lag per partition (topic [partition] → records), when the run consumes from Kafka.</summary>
    public Func<IReadOnlyDictionary<string, long>>? ConsumerLag { get; set; }

    /// <summary>Distinct users whose profile was updated by this process.</summary>
    public long Users => Interlocked.Read(ref _userCount);

    internal void RecordRead() => Interlocked.Increment(ref _read);

    /// <summary>The graph's stages in order; <see cref="StagePassed"/> counts the records that have left each.</summary>
    public static readonly IReadOnlyList<string> Stages = ["clean and enrich", "profile update", "labels", "score", "decide", "output"];

    private readonly long[] _stagePassed = new long[Stages.Count];

    /// <summary>Records that have left each stage of <see cref="Stages"/> (the output stage's count is <see cref="Completed"/>).</summary>
    public long[] StagePassed()
    {
        var passed = new long[Stages.Count];
        for (var i = 0; i < passed.Length - 1; i++)
            passed[i] = Interlocked.Read(ref _stagePassed[i]);
        passed[^1] = Completed;
        return passed;
    }

    /// <summary>Records inside each stage now: what entered it (left the one before, or was read) and has not left it.</summary>
    public long[] StageInFlight()
    {
        var read = Read;
        var passed = StagePassed();
        var inFlight = new long[passed.Length];
        for (var i = 0; i < passed.Length; i++)
            inFlight[i] = Math.Max(0, (i == 0 ? read : passed[i - 1]) - passed[i]);
        return inFlight;
    }

    internal void RecordStagePassed(int stage, int records = 1) => Interlocked.Add(ref _stagePassed[stage], records);

    internal void RecordAccepted(long eventTime, bool itemKnown)
    {
        Interlocked.Increment(ref _accepted);
        if (!itemKnown)
            Interlocked.Increment(ref _unknownItems);
        long seen;
        while (eventTime > (seen = Interlocked.Read(ref _maxEventTime))
               && Interlocked.CompareExchange(ref _maxEventTime, eventTime, seen) != seen)
        {
        }
    }

    internal void RecordCompleted(PipelineItem item)
    {
        Interlocked.Increment(ref _completed);
        if (item.DeadLetter is { } dead)
        {
            Interlocked.Increment(ref _deadLetters);
            _deadLettersByReason.AddOrUpdate(dead.Reason, 1, (_, n) => n + 1);
        }
        if (item.DroppedAsDuplicate || item.Outcome == Domain.Profile.EventOutcome.Duplicate)
            Interlocked.Increment(ref _duplicates);
        if (item.Outcome == Domain.Profile.EventOutcome.Applied)
        {
            Interlocked.Increment(ref _applied);
            // Only the single sink thread records completions, so the set needs no lock.
            if (_users.Add(item.Event!.UserId))
                Interlocked.Increment(ref _userCount);
        }
        if (item.Outcome == Domain.Profile.EventOutcome.Redelivered)
            Interlocked.Increment(ref _redelivered);
        if (item.Outcome == Domain.Profile.EventOutcome.Erased)
            Interlocked.Increment(ref _refusedAsErased);
        var profiles = (item.Profile is null ? 0 : 1) + item.Inactive.Length; // updates, and flags of users found inactive
        if (profiles > 0)
            Interlocked.Add(ref _profilesWritten, profiles);
        if (item.EnteredAtTicks >= Interlocked.Read(ref _latencyFrom))
            _latency.Record(Stopwatch.GetElapsedTime(item.EnteredAtTicks));
    }

    /// <summary>Leaves records that entered before <paramref name="timestamp"/> (Stopwatch ticks) out of the latency histogram: a warm-up.</summary>
    public void RecordLatencyFrom(long timestamp) => Interlocked.Exchange(ref _latencyFrom, timestamp);
}
