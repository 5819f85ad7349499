using System.Collections.Immutable;
using CsCheck;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using static ProfilePipeline.Domain.Tests.EventBuilder;

namespace ProfilePipeline.Domain.Tests;

/// <summary>Properties of the profile fold, checked over generated event histories.</summary>
public class ProfileStateFoldProperties
{
    private static readonly ProfileSettings Settings = ProfileSettings.Default with { AffinityCapacity = 8, TopK = 3, RecentEventIds = 16 };

    /// <summary>A user's history: in-order timestamps with gaps from seconds to days, a few categories and brands, some repeated ids.</summary>
    private static readonly Gen<List<BehaviorEvent>> History =
        Gen.Select(
                Gen.Int[0, 6],
                Gen.OneOf(Gen.Long[1_000, 120_000], Gen.Long[1_000, 7_200_000], Gen.Long[3_600_000, 5 * 86_400_000L]),
                Gen.Int[0, 11],
                Gen.Int[0, 4],
                Gen.Int[1, 500],
                Gen.Int[0, 9])
            .Array[1, 120]
            .Select(steps =>
            {
                var events = new List<BehaviorEvent>(steps.Length);
                var t = Start;
                for (var i = 0; i < steps.Length; i++)
                {
                    var (type, gap, category, brand, price, repeat) = steps[i];
                    t += gap;
                    // Every tenth-ish event reuses an earlier event id: a duplicate arriving at a new offset.
                    var id = repeat == 0 && i > 0 ? events[i / 2].EventId : $"e{i}";
                    events.Add(Event(i, (BehaviorType)type, t, $"c{category}", brand == 0 ? null : $"b{brand}", price / 10m, $"i{category * 7 + brand}", id));
                }
                return events;
            });

    private static ProfileState FoldInBatches(IReadOnlyList<BehaviorEvent> events, IEnumerable<int> batchSizes)
    {
        var state = ProfileState.Empty(Settings);
        var index = 0;
        using var sizes = batchSizes.GetEnumerator();
        while (index < events.Count)
        {
            var size = sizes.MoveNext() ? Math.Max(1, sizes.Current) : events.Count;
            var batch = events.Skip(index).Take(size).ToList();
            index += batch.Count;
            if (state.Decide(batch).ToPersist is { } recorded)
                state = state.Apply(recorded);
        }
        return state;
    }

    [Fact]
    public void Any_split_of_a_users_events_into_batches_folds_to_the_same_state() =>
        Gen.Select(History, Gen.Int[1, 20].Array[1, 60]).Sample((events, sizes) =>
            FoldInBatches(events, sizes).Equals(FoldInBatches(events, Enumerable.Repeat(1, events.Count))), iter: 300);

    [Fact]
    public void Folding_in_place_gives_the_state_apply_gives_and_apply_leaves_its_input_unchanged() =>
        Gen.Select(History, Gen.Int[1, 20].Array[1, 60]).Sample((events, sizes) =>
        {
            var copied = ProfileState.Empty(Settings);
            var owned = ProfileState.Empty(Settings);
            var index = 0;
            foreach (var size in sizes.Append(events.Count))
            {
                if (index >= events.Count)
                    break;
                var batch = events.Skip(index).Take(size).ToList();
                index += batch.Count;
                if (copied.Decide(batch).ToPersist is not { } recorded)
                    continue;
                var before = copied.ToBytes();
                var next = copied.Apply(recorded);
                if (!copied.ToBytes().AsSpan().SequenceEqual(before))
                    return false;
                copied = next;
                owned.ApplyInPlace(recorded);
            }
            return owned.Equals(copied);
        }, iter: 300);

    /// <remarks>
    /// The state remembers the ids of its last <see cref="ProfileSettings.RecentEventIds"/> applied events, so a duplicate
    /// is one of those sent again at a new offset. (A duplicate of an event whose id has left that window is new to the
    /// state: the window is bounded by design. An event that was itself a duplicate does not bring its id back into it.)
    /// </remarks>
    [Fact]
    public void A_redelivered_event_or_a_duplicate_of_a_recently_applied_one_changes_nothing() =>
        Gen.Select(History, Gen.Int[0, 1000], Gen.Int[0, 1000]).Sample((events, pick, pickApplied) =>
        {
            var folded = ProfileState.Empty(Settings).Decide(events);
            var state = ProfileState.Empty(Settings).Apply(folded.ToPersist!);
            var remembered = events.Where((_, i) => folded.Outcomes[i] == EventOutcome.Applied).TakeLast(Settings.RecentEventIds).ToList();
            var again = events[pick % events.Count];
            var redelivery = state.Decide([again]);
            var original = remembered[pickApplied % remembered.Count];
            var duplicate = state.Decide([original with { Position = original.Position with { Offset = 10_000 } }]);
            var unchanged = state.Apply(duplicate.ToPersist!);
            return redelivery.Outcomes.Single() == EventOutcome.Redelivered
                   && redelivery.ToPersist is null
                   && duplicate.Outcomes.Single() == EventOutcome.Duplicate
                   && Json(unchanged.Features("u")) == Json(state.Features("u"))
                   && unchanged.Version == state.Version;
        }, iter: 300);

    [Fact]
    public void Window_counts_equal_a_brute_force_count_over_the_raw_events_at_every_event_time() =>
        History.Sample(events =>
        {
            var state = ProfileState.Empty(Settings);
            var applied = new List<BehaviorEvent>();
            foreach (var e in events)
            {
                var decision = state.Decide([e]);
                state = state.Apply(decision.ToPersist!);
                if (decision.Outcomes[0] == EventOutcome.Applied)
                    applied.Add(e);
                var features = state.Features("u");
                foreach (var window in WindowSpec.All)
                {
                    var inWindow = applied.Where(a => window.Contains(a.Timestamp, features.AsOf)).ToList();
                    var totals = features.Window(window);
                    foreach (var type in BehaviorTypes.All)
                    {
                        if (totals[type] != inWindow.Count(a => a.Type == type))
                            return false;
                    }
                    if (totals.Spend != inWindow.Where(a => a.Type == BehaviorType.Purchase).Sum(a => a.Amount))
                        return false;
                }
            }
            return true;
        }, iter: 100);

    [Fact]
    public void Decayed_category_affinity_equals_its_closed_form_while_within_capacity() =>
        History.Sample(events =>
        {
            var state = FoldInBatches(events, [7]);
            var applied = AppliedEvents(events);
            if (applied.Select(e => e.CategoryId).Distinct().Count() > Settings.AffinityCapacity)
                return true; // eviction makes it approximate by design; see DecayedAffinity
            var features = state.Features("u");
            var halfLife = Settings.AffinityHalfLife.TotalMilliseconds;
            var expected = applied
                .GroupBy(e => e.CategoryId!)
                .Select(g => new AffinityScore(g.Key, g.Sum(e => Settings.AffinityWeights[(int)e.Type] * Math.Pow(2, -(features.AsOf - e.Timestamp) / halfLife))))
                .Where(a => a.Score != 0)
                .OrderByDescending(a => a.Score).ThenBy(a => a.Key, StringComparer.Ordinal)
                .Take(Settings.TopK)
                .ToList();
            return expected.Count == features.TopCategories.Count
                   && expected.Zip(features.TopCategories).All(p => Math.Abs(p.First.Score - p.Second.Score) <= 1e-9 * Math.Max(1, p.First.Score)
                                                                   && (p.First.Key == p.Second.Key || Math.Abs(p.First.Score - p.Second.Score) <= 1e-9));
        }, iter: 300);

    [Fact]
    public void Snapshot_bytes_round_trip_to_an_equal_state() =>
        History.Sample(events =>
        {
            var state = FoldInBatches(events, [5]);
            var copy = ProfileState.FromBytes(state.ToBytes(), Settings);
            return copy.Equals(state) && copy.Features("u") is var f && f.ProfileVersion == state.Version;
        }, iter: 200);

    [Fact]
    public void State_size_stays_bounded_for_a_user_with_100k_events()
    {
        var state = ProfileState.Empty(ProfileSettings.Default);
        var random = new Random(7);
        var t = Start;
        var sizes = new List<int>();
        for (var i = 0; i < 100_000; i++)
        {
            t += random.Next(1_000, 600_000);
            var e = Event(i, (BehaviorType)random.Next(7), t, $"c{random.Next(500)}", $"b{random.Next(300)}", random.Next(1, 1000), $"i{random.Next(1_000_000)}");
            state = state.Apply(state.Decide([e]).ToPersist!);
            if (i % 10_000 == 9_999)
                sizes.Add(state.ToBytes().Length);
        }
        Assert.Equal(100_000, state.Version);
        // Every collection in the state is capped, so the serialized size stops growing once the caps are reached.
        Assert.True(sizes[^1] <= sizes[3] * 1.05, $"state grew from {sizes[3]} to {sizes[^1]} bytes");
        Assert.True(sizes[^1] < 64 * 1024, $"state is {sizes[^1]} bytes");
    }

    private static string Json(ProfileFeatures features) => System.Text.Json.JsonSerializer.Serialize(features);

    private static List<BehaviorEvent> AppliedEvents(IReadOnlyList<BehaviorEvent> events)
    {
        var state = ProfileState.Empty(Settings);
        var applied = new List<BehaviorEvent>();
        foreach (var e in events)
        {
            var decision = state.Decide([e]);
            state = state.Apply(decision.ToPersist!);
            if (decision.Outcomes[0] == EventOutcome.Applied)
                applied.Add(e);
        }
        return applied;
    }

    /// <summary>
    /// Point-in-time correctness of decision points: the features taken right after an event is folded (in any batching)
    /// equal the features of a profile built from that event and the ones before it only. No later event leaks in.
    /// </summary>
    [Fact]
    public void A_decision_points_features_depend_on_no_event_after_it() =>
        Gen.Select(History, Gen.Int[1, 20].Array[1, 60]).Sample((events, sizes) =>
        {
            var everyEvent = new Learning.DecisionPointSettings(true, true, 1.0, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5));
            var taken = new List<(long Offset, float[] Features)>();
            var state = ProfileState.Empty(Settings);
            var index = 0;
            foreach (var size in sizes.Append(events.Count))
            {
                if (index >= events.Count)
                    break;
                var batch = events.Skip(index).Take(size).ToList();
                index += batch.Count;
                if (state.Decide(batch).ToPersist is not { } recorded)
                    continue;
                state.ApplyInPlace(recorded, (e, startsSession) =>
                {
                    if (everyEvent.KindOf(e, startsSession, previousPointAt: null) is not null)
                        taken.Add((e.Position.Offset, state.PropensityVector())); // what the entity takes
                });
            }
            return taken.All(point =>
            {
                var prefix = events.TakeWhile(e => e.Position.Offset != point.Offset).Append(events.First(e => e.Position.Offset == point.Offset)).ToList();
                var alone = FoldInBatches(prefix, [prefix.Count]);
                return Learning.PropensityFeatures.Vector(alone.Features("u")).AsSpan().SequenceEqual(point.Features);
            });
        }, iter: 200);
}
