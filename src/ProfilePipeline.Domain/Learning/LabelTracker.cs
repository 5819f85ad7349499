using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Learning;

/// <summary>A decision point with its label: did the user purchase within the horizon after it.</summary>
public sealed record LabeledExample(DecisionPoint Point, bool Purchased, long ResolvedAt);

/// <summary>
/// Resolves the labels of decision points in event time. A purchase by the user within the horizon after a point marks
/// it positive; every point is released, positive or negative, once the watermark (the newest event time seen, minus
/// the label lateness) passes its time plus the horizon. Releasing positives at once, on the purchase, would hand a
/// learner the recent positives long before the recent negatives, and it would learn whatever tells recent decision
/// points from old ones (on the Taobao slice that turned its AUC below 0.5). Bounded: past <c>maxPending</c> open points
/// the oldest are dropped and counted, never guessed. Single-threaded.
/// </summary>
public sealed class LabelTracker(TimeSpan horizon, TimeSpan allowedLateness, int maxPending)
{
    private sealed class Pending(DecisionPoint point)
    {
        public DecisionPoint Point { get; } = point;
        public bool Resolved { get; set; }
        public bool Purchased { get; set; }
    }

    private readonly long _horizonMs = (long)horizon.TotalMilliseconds;
    private readonly long _latenessMs = (long)allowedLateness.TotalMilliseconds;
    private readonly Dictionary<string, List<Pending>> _openByUser = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Pending, long> _byDeadline = new();
    private long _newestEventTime = long.MinValue;

    public long Watermark => _newestEventTime == long.MinValue ? long.MinValue : _newestEventTime - _latenessMs;

    /// <summary>Open points, not yet labelled.</summary>
    public int Open { get; private set; }

    /// <summary>Points dropped unlabelled because too many were open.</summary>
    public long Dropped { get; private set; }

    /// <summary>Points that arrived after the watermark had already closed their horizon (no label can be trusted).</summary>
    public long TooLate { get; private set; }

    public void Add(DecisionPoint point)
    {
        if (point.At + _horizonMs < Watermark)
        {
            TooLate++;
            return;
        }
        var pending = new Pending(point);
        if (!_openByUser.TryGetValue(point.UserId, out var open))
            _openByUser[point.UserId] = open = [];
        open.Add(pending);
        _byDeadline.Enqueue(pending, point.At + _horizonMs);
        Open++;
        while (Open > maxPending && _byDeadline.TryDequeue(out var oldest, out _))
        {
            if (oldest.Resolved)
                continue;
            Close(oldest);
            Dropped++;
        }
    }

    /// <summary>Takes one event of the stream into account; labels that it releases are added to <paramref name="labelled"/>.</summary>
    public void Observe(string userId, BehaviorType type, long eventTime, List<LabeledExample> labelled)
    {
        if (type == BehaviorType.Purchase && _openByUser.TryGetValue(userId, out var open))
        {
            foreach (var pending in open)
            {
                if (pending.Point.At <= eventTime && eventTime <= pending.Point.At + _horizonMs)
                    pending.Purchased = true;
            }
        }
        if (eventTime > _newestEventTime)
        {
            _newestEventTime = eventTime;
            Release(Watermark, labelled);
        }
    }

    /// <summary>Releases every open point (the end of a finite input: no more purchases will come).</summary>
    public void ReleaseAll(List<LabeledExample> labelled) => Release(long.MaxValue, labelled);

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
    }
}
