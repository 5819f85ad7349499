using System.Collections.Immutable;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Profile;

/// <summary>
/// The state of one user's profile: a pure fold of the user's accepted behaviour events, bounded in memory
/// whatever the user does. <see cref="Apply"/> returns a new state and leaves this one as it was; only the state's
/// single owner uses <see cref="ApplyInPlace"/>. <see cref="Decide"/> and <see cref="Apply"/> are the whole protocol;
/// the entity only persists and applies.
/// </summary>
public sealed partial class ProfileState : IEquatable<ProfileState>
{
    private const long Unset = long.MinValue;

    private readonly ProfileSettings _settings;
    private long _version;
    private long _firstSeen = Unset;
    private long _newest = Unset;
    private readonly long[] _lifetime = new long[BehaviorTypes.Count];
    private decimal _lifetimeSpend;
    private long _lastPurchaseAt = Unset;
    private long _lastCartAddAt = Unset;
    private BucketSeries _minutes = new(WindowSpec.OneHour.BucketMilliseconds, WindowSpec.OneHour.Buckets);
    private BucketSeries _hours = new(WindowSpec.SevenDays.BucketMilliseconds, WindowSpec.SevenDays.Buckets);
    private BucketSeries _days = new(WindowSpec.ThirtyDays.BucketMilliseconds, WindowSpec.ThirtyDays.Buckets);
    private FingerprintSet _items;
    private FingerprintSet _categories;
    private DecayedAffinity _categoryAffinity;
    private DecayedAffinity _brandAffinity;
    private RecentIdRing _recentIds;
    private List<SourcePosition> _sourceMarks = [];
    private long _sessionCount;
    private long _sessionStart = Unset;
    private long _sessionEvents;
    private long _closedSessionEvents;
    private long _closedSessionDurationMs;
    private long _intervalCount;
    private long _intervalSumMs;
    private long _intervalMaxMs;

    private ProfileState(ProfileSettings settings)
    {
        _settings = settings;
        _items = new FingerprintSet(settings.DistinctCapacity);
        _categories = new FingerprintSet(settings.DistinctCapacity);
        _categoryAffinity = new DecayedAffinity(settings.AffinityCapacity);
        _brandAffinity = new DecayedAffinity(settings.AffinityCapacity);
        _recentIds = new RecentIdRing(settings.RecentEventIds);
    }

    public static ProfileState Empty(ProfileSettings settings) => new(settings.Validate());

    public ProfileSettings Settings => _settings;

    /// <summary>How many events have been applied; the profile version downstream consumers see.</summary>
    public long Version => _version;

    /// <summary>The newest event time applied, or null before the first event.</summary>
    public long? Newest => _newest == Unset ? null : _newest;

    public IReadOnlyList<SourcePosition> SourceMarks => _sourceMarks;

    /// <summary>Decides, without changing anything, what each event of a batch is and what must be persisted.</summary>
    /// <param name="batch">One user's events in source order.</param>
    /// <param name="erasedAt">
    /// When the user's profile was erased (epoch ms), or null: events at or before it are <see cref="EventOutcome.Erased"/>
    /// and leave no source mark, so that a batch of only such events persists nothing.
    /// </param>
    public ProfileDecision Decide(IReadOnlyList<BehaviorEvent> batch, long? erasedAt = null)
    {
        var outcomes = ImmutableArray.CreateBuilder<EventOutcome>(batch.Count);
        var accepted = ImmutableArray.CreateBuilder<BehaviorEvent>();
        var marks = new Dictionary<string, long>();
        // A copy of the ring, so that the batch sees exactly what one-by-one application would have seen.
        var recentIds = _recentIds.Clone();
        var newest = _newest;
        var lateness = (long)_settings.AllowedLateness.TotalMilliseconds;
        foreach (var e in batch)
        {
            var fingerprint = EventIds.Fingerprint(e.EventId);
            EventOutcome outcome;
            if (e.Timestamp <= erasedAt)
            {
                outcomes.Add(EventOutcome.Erased);
                continue;
            }
            if (IsRedelivery(e.Position) || (marks.TryGetValue(e.Position.SourceId, out var m) && e.Position.Offset <= m))
                outcome = EventOutcome.Redelivered;
            else if (recentIds.Contains(fingerprint))
                outcome = EventOutcome.Duplicate;
            else if (newest != Unset && e.Timestamp < newest - lateness)
                outcome = EventOutcome.Late;
            else
            {
                outcome = EventOutcome.Applied;
                accepted.Add(e);
                recentIds.Add(fingerprint);
                newest = Math.Max(newest, e.Timestamp);
            }
            outcomes.Add(outcome);
            if (outcome != EventOutcome.Redelivered)
                marks[e.Position.SourceId] = Math.Max(marks.GetValueOrDefault(e.Position.SourceId, long.MinValue), e.Position.Offset);
        }
        var toPersist = marks.Count == 0
            ? null
            : new BehaviorsRecorded(accepted.ToImmutable(), [.. marks.Select(kv => new SourcePosition(kv.Key, kv.Value))]);
        return new ProfileDecision(outcomes.MoveToImmutable(), toPersist);
    }

    private bool IsRedelivery(SourcePosition position)
    {
        foreach (var mark in _sourceMarks)
        {
            if (mark.SourceId == position.SourceId)
                return position.Offset <= mark.Offset;
        }
        return false;
    }

    /// <summary>Folds a journal entry into a new state; this one is left as it was.</summary>
    public ProfileState Apply(BehaviorsRecorded recorded) => Clone().ApplyInPlace(recorded);

    /// <summary>
    /// The same fold as <see cref="Apply"/>, into this instance instead of a copy, for the state's single owner (the
    /// entity, which never hands its state out). A copy per batch made every entity's whole state a fresh object that
    /// outlives the young generation: the bench measured that as most of the garbage collector's pauses.
    /// </summary>
    public ProfileState ApplyInPlace(BehaviorsRecorded recorded) => ApplyInPlace(recorded, null);

    /// <summary>
    /// <see cref="ApplyInPlace(BehaviorsRecorded)"/>, calling <paramref name="afterEach"/> right after each event is folded
    /// (with whether it started a session), while the state holds that event and nothing later: the point-in-time view
    /// decision points are taken from.
    /// </summary>
    public ProfileState ApplyInPlace(BehaviorsRecorded recorded, Action<BehaviorEvent, bool>? afterEach)
    {
        foreach (var e in recorded.Events)
        {
            var startsSession = Fold(e);
            afterEach?.Invoke(e, startsSession);
        }
        foreach (var mark in recorded.SourceMarks)
            Mark(mark);
        return this;
    }

    /// <summary>Folds one event; true when it starts a session.</summary>
    private bool Fold(BehaviorEvent e)
    {
        var t = e.Timestamp;
        _version++;
        var startsSession = false;
        if (_newest == Unset)
        {
            startsSession = true;
            _firstSeen = t;
            _sessionCount = 1;
            _sessionStart = t;
            _sessionEvents = 1;
        }
        else if (t > _newest)
        {
            var gap = t - _newest;
            _intervalCount++;
            _intervalSumMs += gap;
            _intervalMaxMs = Math.Max(_intervalMaxMs, gap);
            if (gap > (long)_settings.SessionGap.TotalMilliseconds)
            {
                _closedSessionEvents += _sessionEvents;
                _closedSessionDurationMs += _newest - _sessionStart;
                _sessionCount++;
                _sessionStart = t;
                _sessionEvents = 1;
                startsSession = true;
            }
            else
            {
                _sessionEvents++;
            }
        }
        else
        {
            // Out of order but within the allowed lateness: it belongs to the current session.
            _sessionEvents++;
            _firstSeen = Math.Min(_firstSeen, t);
        }
        _newest = _newest == Unset ? t : Math.Max(_newest, t);

        var type = (int)e.Type;
        _lifetime[type]++;
        var amount = e.Type == BehaviorType.Purchase ? e.Amount : 0m;
        _lifetimeSpend += amount;
        if (e.Type == BehaviorType.Purchase)
            _lastPurchaseAt = Math.Max(_lastPurchaseAt, t);
        if (e.Type == BehaviorType.CartAdd)
            _lastCartAddAt = Math.Max(_lastCartAddAt, t);
        _minutes.Add(t, e.Type, amount, _newest);
        _hours.Add(t, e.Type, amount, _newest);
        _days.Add(t, e.Type, amount, _newest);
        if (e.ItemId is not null)
            _items.Add(EventIds.Fingerprint(e.ItemId));
        var weight = _settings.AffinityWeights[type];
        var halfLife = _settings.AffinityHalfLife.TotalMilliseconds;
        if (e.CategoryId is not null)
        {
            _categories.Add(EventIds.Fingerprint(e.CategoryId));
            _categoryAffinity.Add(e.CategoryId, weight, t, _newest, halfLife);
        }
        if (e.Brand is not null)
            _brandAffinity.Add(e.Brand, weight, t, _newest, halfLife);
        _recentIds.Add(EventIds.Fingerprint(e.EventId));
        return startsSession;
    }

    private void Mark(SourcePosition mark)
    {
        var i = _sourceMarks.FindIndex(m => m.SourceId == mark.SourceId);
        if (i >= 0)
        {
            mark = _sourceMarks[i] with { Offset = Math.Max(mark.Offset, _sourceMarks[i].Offset) };
            _sourceMarks.RemoveAt(i);
        }
        else
        {
            if (_sourceMarks.Count >= _settings.SourceCapacity)
                _sourceMarks.RemoveAt(0); // least recently marked
            mark = mark with { SourceId = SharedStrings.Share(mark.SourceId) };
        }
        _sourceMarks.Add(mark);
    }

    /// <summary>The feature vector as of the newest event applied.</summary>
    /// <summary>
    /// The propensity features as of the newest event: equal to <c>PropensityFeatures.Vector(Features(id))</c> without
    /// building the whole profile (no 7-day window, no affinity ranking). Decision points take it after each event.
    /// </summary>
    public float[] PropensityVector()
    {
        var asOf = _newest == Unset ? 0 : _newest;
        return Learning.PropensityFeatures.Vector(new Learning.PropensityFeatures.Inputs(
            asOf,
            _firstSeen == Unset ? 0 : _firstSeen,
            Learning.PropensityFeatures.Counts.Of(_lifetime, _lifetimeSpend),
            WindowCounts(_minutes, asOf, WindowSpec.OneHour.Buckets),
            WindowCounts(_hours, asOf, WindowSpec.OneDay.Buckets),
            WindowCounts(_days, asOf, WindowSpec.ThirtyDays.Buckets),
            _lastPurchaseAt == Unset ? null : _lastPurchaseAt,
            _lastCartAddAt == Unset ? null : _lastCartAddAt,
            _sessionEvents,
            _items.Count,
            _categories.Count));
    }

    /// <summary>A window's totals for the propensity vector, with no object made (every decision point sums three windows).</summary>
    private static Learning.PropensityFeatures.Counts WindowCounts(BucketSeries series, long asOf, int buckets)
    {
        Span<long> counts = stackalloc long[BehaviorTypes.Count];
        var spend = series.Sum(asOf, buckets, counts);
        return Learning.PropensityFeatures.Counts.Of(counts, spend);
    }

    public ProfileFeatures Features(string userId)
    {
        var asOf = _newest == Unset ? 0 : _newest;
        var halfLife = _settings.AffinityHalfLife.TotalMilliseconds;
        var last30d = _days.Totals(asOf, WindowSpec.ThirtyDays.Buckets);
        var closedSessions = _sessionCount - (_sessionCount > 0 ? 1 : 0);
        var sessionEvents = _closedSessionEvents + _sessionEvents;
        var sessionDurationMs = _closedSessionDurationMs + (_sessionCount > 0 ? asOf - _sessionStart : 0);
        return new ProfileFeatures(
            userId,
            asOf,
            _version,
            _firstSeen == Unset ? 0 : _firstSeen,
            BehaviorTotals.From(_lifetime, _lifetimeSpend),
            _minutes.Totals(asOf, WindowSpec.OneHour.Buckets),
            _hours.Totals(asOf, WindowSpec.OneDay.Buckets),
            _hours.Totals(asOf, WindowSpec.SevenDays.Buckets),
            last30d,
            _items.Count,
            _categories.Count,
            _lastPurchaseAt == Unset ? null : _lastPurchaseAt,
            _lastCartAddAt == Unset ? null : _lastCartAddAt,
            new Rfm(
                _lastPurchaseAt == Unset ? null : (asOf - _lastPurchaseAt) / 86_400_000.0,
                last30d.Purchases,
                last30d.Spend),
            new SessionStats(
                _sessionCount,
                _sessionEvents,
                _sessionCount == 0 ? 0 : (double)sessionEvents / _sessionCount,
                _sessionCount == 0 ? 0 : sessionDurationMs / 1000.0 / _sessionCount),
            new IntervalStats(
                _intervalCount,
                _intervalCount == 0 ? 0 : _intervalSumMs / 1000.0 / _intervalCount,
                _intervalMaxMs / 1000.0),
            _categoryAffinity.Top(_settings.TopK, asOf, halfLife),
            _brandAffinity.Top(_settings.TopK, asOf, halfLife));
    }

    private ProfileState Clone()
    {
        var copy = new ProfileState(_settings, cloneOnly: true)
        {
            _version = _version,
            _firstSeen = _firstSeen,
            _newest = _newest,
            _lifetimeSpend = _lifetimeSpend,
            _lastPurchaseAt = _lastPurchaseAt,
            _lastCartAddAt = _lastCartAddAt,
            _minutes = _minutes.Clone(),
            _hours = _hours.Clone(),
            _days = _days.Clone(),
            _items = _items.Clone(),
            _categories = _categories.Clone(),
            _categoryAffinity = _categoryAffinity.Clone(),
            _brandAffinity = _brandAffinity.Clone(),
            _recentIds = _recentIds.Clone(),
            _sourceMarks = [.. _sourceMarks],
            _sessionCount = _sessionCount,
            _sessionStart = _sessionStart,
            _sessionEvents = _sessionEvents,
            _closedSessionEvents = _closedSessionEvents,
            _closedSessionDurationMs = _closedSessionDurationMs,
            _intervalCount = _intervalCount,
            _intervalSumMs = _intervalSumMs,
            _intervalMaxMs = _intervalMaxMs,
        };
        _lifetime.CopyTo(copy._lifetime, 0);
        return copy;
    }

    // Skips building empty collections that Clone replaces at once.
#pragma warning disable IDE0060
    private ProfileState(ProfileSettings settings, bool cloneOnly)
#pragma warning restore IDE0060
    {
        _settings = settings;
        _items = null!;
        _categories = null!;
        _categoryAffinity = null!;
        _brandAffinity = null!;
        _recentIds = null!;
    }

    public bool Equals(ProfileState? other) =>
        other is not null && ToBytes().AsSpan().SequenceEqual(other.ToBytes());

    public override bool Equals(object? obj) => Equals(obj as ProfileState);

    public override int GetHashCode() => HashCode.Combine(_version, _newest);
}
