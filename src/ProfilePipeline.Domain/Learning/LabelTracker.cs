using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Learning;

/// <summary>A decision point with its label: did the user purchase within the horizon after it.</summary>
public sealed record LabeledExample(DecisionPoint Point, bool Purchased, long ResolvedAt);

/// <summary>A decision point whose label is not yet released, and whether a purchase within its horizon has been seen.</summary>
public sealed record OpenDecisionPoint(DecisionPoint Point, bool Purchased);

/// <summary>
/// What changed in one partition's open decision points since the changes were last taken: points
/// <see cref="Opened"/> (with what is known of them now), points of the earlier ones marked <see cref="Purchased"/>, and
/// points <see cref="Closed"/> (labelled or dropped). A point opened and closed between two takes is in neither.
/// </summary>
public sealed record OpenPointChanges(string Partition, IReadOnlyList<OpenDecisionPoint> Opened, IReadOnlyList<string> Purchased, IReadOnlyList<string> Closed)
{
    /// <summary>Applies the changes to a partition's open points, by event id: opened points set, marks on points held, closed points removed.</summary>
    public static void Apply(IDictionary<string, OpenDecisionPoint> points, IEnumerable<OpenDecisionPoint> opened, IEnumerable<string> purchased,
        IEnumerable<string> closed)
    {
        foreach (var open in opened)
            points[open.Point.EventId] = open;
        foreach (var id in purchased)
        {
            if (points.TryGetValue(id, out var open))
                points[id] = open with { Purchased = true };
        }
        foreach (var id in closed)
            points.Remove(id);
    }

    /// <summary>
    /// Changes taken one after the other, as one set per partition that changes a partition's open points as applying
    /// them in order would (opened, then marked, then closed). A mark of a point opened among them is on the opened
    /// point; a point opened and then closed among them is closed only. So several batches' changes go in one write.
    /// </summary>
    public static IReadOnlyList<OpenPointChanges> Merge(IEnumerable<OpenPointChanges> inOrder)
    {
        var all = inOrder as IReadOnlyList<OpenPointChanges> ?? [.. inOrder];
        if (EachPartitionOnce(all))
            return all; // one batch's changes (or batches of different partitions): nothing to merge
        var merged = new Dictionary<string, (Dictionary<string, OpenDecisionPoint> Opened, HashSet<string> Purchased, HashSet<string> Closed)>(StringComparer.Ordinal);
        var partitions = new List<string>();
        foreach (var changes in all)
        {
            if (!merged.TryGetValue(changes.Partition, out var m))
            {
                merged[changes.Partition] = m = (new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
                partitions.Add(changes.Partition);
            }
            foreach (var open in changes.Opened)
            {
                m.Opened[open.Point.EventId] = open;
                m.Purchased.Remove(open.Point.EventId);
                m.Closed.Remove(open.Point.EventId);
            }
            foreach (var id in changes.Purchased)
            {
                if (m.Opened.TryGetValue(id, out var open))
                    m.Opened[id] = open with { Purchased = true };
                else
                    m.Purchased.Add(id);
            }
            foreach (var id in changes.Closed)
            {
                m.Opened.Remove(id);
                m.Purchased.Remove(id);
                m.Closed.Add(id);
            }
        }
        return [.. partitions.Select(p => new OpenPointChanges(p, [.. merged[p].Opened.Values], [.. merged[p].Purchased], [.. merged[p].Closed]))];
    }

    private static bool EachPartitionOnce(IReadOnlyList<OpenPointChanges> all)
    {
        var seen = new HashSet<string>(all.Count, StringComparer.Ordinal);
        foreach (var changes in all)
        {
            if (!seen.Add(changes.Partition))
                return false;
        }
        return true;
    }
}

/// <summary>
/// Resolves the labels of decision points in event time. A purchase by the user within the horizon after a point
/// (strictly later, at most the horizon later) marks it positive; every point is released, positive or negative, once
/// the watermark passes its time plus the horizon: the event time every partition read has reached (see
/// <see cref="PartitionWatermarks"/>), minus the label lateness. Releasing positives at once, on the purchase, would hand a
/// learner the recent positives long before the recent negatives, and it would learn whatever tells recent decision
/// points from old ones (on the Taobao slice that turned its AUC below 0.5). Bounded: past <c>maxPending</c> open points
/// the oldest are dropped and counted, never guessed. Single-threaded.
/// </summary>
/// <remarks>
/// Each point belongs to a partition (the input partition of the record that took it). What changes is kept per
/// partition until <see cref="TakeChanges"/>, so that a caller can make the open points durable; after a restart they
/// come back through <see cref="Restore"/>. A point is known by its event id: adding or restoring one that is open
/// already changes nothing.
/// </remarks>
/// <param name="keepChanges">Keep the changes for <see cref="TakeChanges"/> (off for a replay that keeps nothing).</param>
/// <param name="idlePartitionAfter">A partition with no record for this long (processing time) stops holding the watermark back.</param>
public sealed class LabelTracker(TimeSpan horizon, TimeSpan allowedLateness, int maxPending, bool keepChanges = false, TimeSpan? idlePartitionAfter = null) : IPartitionedState
{
    private sealed class Pending(DecisionPoint point, string partition, bool purchased)
    {
        public DecisionPoint Point { get; } = point;
        public string Partition { get; } = partition;
        public bool Resolved { get; set; }
        public bool Purchased { get; set; } = purchased;

        /// <summary>Among its partition's changes as opened (since the changes were last taken).</summary>
        public bool OpenedInChanges { get; set; }
    }

    /// <summary>One partition's changes since they were last taken.</summary>
    private sealed class Changes
    {
        public Dictionary<string, Pending> Opened { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Purchased { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Closed { get; } = new(StringComparer.Ordinal);

        public void Clear()
        {
            Opened.Clear();
            Purchased.Clear();
            Closed.Clear();
        }
    }

    private readonly long _horizonMs = (long)horizon.TotalMilliseconds;
    private readonly PartitionWatermarks _watermarks = new((long)allowedLateness.TotalMilliseconds,
        (long)(idlePartitionAfter ?? PartitionWatermarks.DefaultIdleAfter).TotalMilliseconds);
    private readonly Dictionary<string, List<Pending>> _openByUser = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Pending, long> _byDeadline = new();
    private readonly PartitionMap<Changes> _changes = new();

    /// <summary>
    /// The oldest of the newest event times of the partitions read (those not idle), minus the lateness; long.MinValue
    /// before any event. Read from one partition: the newest event time seen minus the lateness.
    /// </summary>
    public long Watermark => _watermarks.Current;

    /// <summary>Open points, not yet labelled.</summary>
    public int Open { get; private set; }

    /// <summary>Points dropped unlabelled because too many were open.</summary>
    public long Dropped { get; private set; }

    /// <summary>Points that arrived after the watermark had already closed their horizon (no label can be trusted).</summary>
    public long TooLate { get; private set; }

    /// <summary>Opens a point taken from the record of <paramref name="partition"/>; false when too late or open already.</summary>
    public bool Add(DecisionPoint point, string partition = "")
    {
        if (point.At + _horizonMs < Watermark)
        {
            TooLate++;
            return false;
        }
        if (OpenPoint(point, partition, purchased: false) is not { } pending)
            return false;
        if (ChangesOf(partition) is { } changes)
        {
            changes.Opened.Add(point.EventId, pending);
            pending.OpenedInChanges = true;
        }
        DropPastLimit();
        return true;
    }

    /// <summary>
    /// Opens a point again as it was made durable (after a restart, or when its partition moved here). It is labelled
    /// when the watermark passes its horizon, even if that has happened already; the watermark does not move.
    /// </summary>
    public bool Restore(OpenDecisionPoint open, string partition)
    {
        if (OpenPoint(open.Point, partition, open.Purchased) is null)
            return false;
        DropPastLimit();
        return true;
    }

    /// <inheritdoc />
    public void Expect(string partition, long now) => _watermarks.Expect(partition, now);

    /// <inheritdoc />
    public void NothingToRead(string partition) => _watermarks.NothingToRead(partition);

    /// <summary>
    /// Lets go of a partition's open points without labelling or closing them: the partition moved to another node,
    /// which restores them from where they were made durable. Changes not yet taken stay. Gives how many were let go.
    /// </summary>
    public int Forget(string partition)
    {
        _watermarks.Forget(partition);
        var forgotten = 0;
        foreach (var (user, open) in _openByUser.ToList())
        {
            foreach (var pending in open.Where(p => p.Partition == partition))
                pending.Resolved = true; // its entry in the deadline queue is skipped
            forgotten += open.RemoveAll(p => p.Partition == partition);
            if (open.Count == 0)
                _openByUser.Remove(user);
        }
        Open -= forgotten;
        return forgotten;
    }

    /// <summary>Takes one event of the stream into account; labels that it releases are added to <paramref name="labelled"/>.</summary>
    /// <remarks>
    /// A purchase seen again (replayed after a restart) marks the same points again: harmless. A purchase at the very
    /// time of a point does not count: in stream order it may come before the point, and then it could be counted after
    /// a restart (replayed after the point was restored) and not without one.
    /// </remarks>
    /// <param name="partition">The input partition of the event's record.</param>
    /// <param name="now">Processing time (ms, any steady clock), for telling idle partitions.</param>
    public void Observe(string userId, BehaviorType type, long eventTime, List<LabeledExample> labelled, string partition = "", long now = 0)
    {
        if (type == BehaviorType.Purchase && _openByUser.TryGetValue(userId, out var open))
        {
            foreach (var pending in open)
            {
                if (!pending.Purchased && pending.Point.At < eventTime && eventTime <= pending.Point.At + _horizonMs)
                {
                    pending.Purchased = true;
                    if (!pending.OpenedInChanges && ChangesOf(pending.Partition) is { } changes)
                        changes.Purchased.Add(pending.Point.EventId);
                }
            }
        }
        if (_watermarks.Observe(partition, eventTime, now))
            Release(Watermark, labelled);
    }

    /// <summary>Releases every open point (the end of a finite input: no more purchases will come).</summary>
    public void ReleaseAll(List<LabeledExample> labelled) => Release(long.MaxValue, labelled);

    /// <summary>The changes of each partition since they were last taken; afterwards none are kept.</summary>
    public IReadOnlyList<OpenPointChanges> TakeChanges()
    {
        var taken = _changes.All
            .Where(p => p.Value.Opened.Count + p.Value.Purchased.Count + p.Value.Closed.Count > 0)
            .Select(p => new OpenPointChanges(p.Key,
                [.. p.Value.Opened.Values.Select(Taken)], [.. p.Value.Purchased], [.. p.Value.Closed]))
            .ToList();
        foreach (var changes in _changes.Values)
            changes.Clear(); // kept with their capacity for the next batch's changes, rather than grown anew
        return taken;
    }

    private static OpenDecisionPoint Taken(Pending opened)
    {
        opened.OpenedInChanges = false;
        return new OpenDecisionPoint(opened.Point, opened.Purchased);
    }

    private Pending? OpenPoint(DecisionPoint point, string partition, bool purchased)
    {
        if (!_openByUser.TryGetValue(point.UserId, out var open))
            _openByUser[point.UserId] = open = [];
        else if (open.Exists(p => p.Point.EventId == point.EventId))
            return null;
        var pending = new Pending(point, partition, purchased);
        open.Add(pending);
        _byDeadline.Enqueue(pending, point.At + _horizonMs);
        Open++;
        return pending;
    }

    private void DropPastLimit()
    {
        while (Open > maxPending && _byDeadline.TryDequeue(out var oldest, out _))
        {
            if (oldest.Resolved)
                continue;
            Close(oldest);
            Dropped++;
        }
    }

    private void Release(long watermark, List<LabeledExample> labelled)
    {
        while (_byDeadline.TryPeek(out var pending, out var deadline) && deadline < watermark)
        {
            _byDeadline.Dequeue();
            if (pending.Resolved)
                continue;
            labelled.Add(new LabeledExample(pending.Point, pending.Purchased, deadline));
            Close(pending);
        }
    }

    private void Close(Pending pending)
    {
        pending.Resolved = true;
        Open--;
        var open = _openByUser[pending.Point.UserId];
        open.Remove(pending);
        if (open.Count == 0)
            _openByUser.Remove(pending.Point.UserId);
        if (ChangesOf(pending.Partition) is not { } changes)
            return;
        // Each set looked up only if the point can be in it: a mark is of a purchased point opened before the changes.
        if (pending.OpenedInChanges)
        {
            changes.Opened.Remove(pending.Point.EventId);
            pending.OpenedInChanges = false;
            return;
        }
        if (pending.Purchased)
            changes.Purchased.Remove(pending.Point.EventId);
        changes.Closed.Add(pending.Point.EventId);
    }

    private Changes? ChangesOf(string partition)
    {
        if (!keepChanges)
            return null;
        if (_changes.Find(partition) is not { } changes)
            _changes.Set(partition, changes = new Changes());
        return changes;
    }
}
