using System.Collections.Immutable;
using CsCheck;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Tests;

/// <summary>Inactivity timers in event time, churn risk, and decision rules with frequency caps.</summary>
public sealed class DecisionProperties
{
    private static readonly long Start = EventBuilder.Start;
    private static readonly ProfileScorer Scorer = new(ScoringSettings.Default);
    private const long Minute = 60_000;

    /// <summary>A scored profile of <paramref name="user"/> built from events at the given times (the newest last).</summary>
    private static ScoredProfile Profile(string user, params long[] times)
    {
        var state = ProfileState.Empty(ProfileSettings.Default);
        for (var i = 0; i < times.Length; i++)
        {
            var e = EventBuilder.Event(i, BehaviorType.View, times[i], eventId: $"{user}-{i}") with { UserId = user };
            state.ApplyInPlace(state.Decide([e]).ToPersist!);
        }
        return Scorer.Score(state.Features(user), null, RuleBasedPropensityModel.Instance);
    }

    /// <summary>One update: a user (of 6) and the minutes since the previous update of the stream (event time may step back a little).</summary>
    private static readonly Gen<(int User, int Step)> Update = Gen.Select(Gen.Int[0, 5], Gen.Int[-3, 90]);

    [Fact]
    public void A_user_is_reported_quiet_once_exactly_when_the_watermark_passes_their_newest_event_plus_the_gap_and_no_later()
    {
        Update.Array[1, 120].Sample(updates =>
        {
            var gap = 120 * Minute;
            var lateness = 5 * Minute;
            var tracker = new InactivityTracker(TimeSpan.FromMilliseconds(gap), TimeSpan.FromMilliseconds(lateness), 100);
            var newestOf = new Dictionary<string, long>();
            var pendingSince = new HashSet<string>(); // users touched since they were last reported
            var now = Start;
            var newestOfPartition = new Dictionary<string, long>();
            var watermark = long.MinValue;
            foreach (var (user, step) in updates)
            {
                now += step * Minute;
                var id = $"u{user}";
                var at = now; // events of a user may come out of order; the timer keeps the newest
                newestOf[id] = Math.Max(at, pendingSince.Contains(id) ? newestOf[id] : long.MinValue);
                var partition = $"p{user % 2}";
                newestOfPartition[partition] = Math.Max(at, newestOfPartition.GetValueOrDefault(partition, long.MinValue));
                var armed = tracker.Touch(id, partition, at);
                Assert.Equal(!pendingSince.Contains(id), armed); // a timer is armed (and to be persisted) exactly when the user had none
                pendingSince.Add(id);
                // The time both partitions have reached (each holds it back), minus the lateness; it never goes back.
                watermark = Math.Max(watermark, newestOfPartition.Values.Min() - lateness);
                var reported = tracker.Advance();
                // The oracle: every pending user whose newest event plus the gap the watermark has passed, and only those.
                var expected = pendingSince.Where(u => newestOf[u] + gap <= watermark).OrderBy(u => u).ToList();
                Assert.Equal(expected, reported.Select(q => q.UserId).OrderBy(u => u).ToList());
                foreach (var q in reported)
                {
                    Assert.Equal(newestOf[q.UserId] + gap, q.QuietSince);
                    Assert.Equal(newestOf[q.UserId], q.LastActivity);
                    Assert.Equal(watermark, q.DetectedAt);
                    Assert.Equal($"p{int.Parse(q.UserId[1..]) % 2}", q.Partition);
                    pendingSince.Remove(q.UserId);
                }
            }
            Assert.Equal(pendingSince.Count, tracker.Tracked);
        }, iter: 200);
    }

    [Fact]
    public void A_restored_timer_fires_at_its_own_time_without_moving_the_watermark_and_a_newer_activity_moves_it()
    {
        var tracker = new InactivityTracker(TimeSpan.FromHours(3), TimeSpan.Zero, 10);
        Assert.True(tracker.Arm("a", "p0", Start));                      // restored from the durable index
        Assert.True(tracker.Arm("b", "p0", Start + 100 * Minute));
        Assert.Equal(long.MinValue, tracker.Watermark);
        Assert.False(tracker.Touch("b", "p0", Start + 179 * Minute));     // b had a timer: nothing new to persist
        Assert.True(tracker.Touch("c", "p0", Start + 181 * Minute));
        Assert.Equal(["a"], tracker.Advance().Select(q => q.UserId));
        Assert.False(tracker.Arm("b", "p0", Start + 200 * Minute));       // the entity reported a newer activity
        tracker.Touch("c", "p0", Start + 359 * Minute);
        Assert.Empty(tracker.Advance());
        tracker.Touch("c", "p0", Start + 380 * Minute);
        var quiet = Assert.Single(tracker.Advance());
        Assert.Equal(("b", Start + 380 * Minute), (quiet.UserId, quiet.QuietSince));
    }

    [Fact]
    public void Timers_of_a_partition_given_up_never_fire_here_and_come_back_if_the_partition_does()
    {
        var tracker = new InactivityTracker(TimeSpan.FromHours(1), TimeSpan.Zero, 10);
        tracker.Touch("a", "p0", Start);
        tracker.Touch("b", "p1", Start);
        Assert.Equal(1, tracker.Forget("p0"));
        Assert.Equal(1, tracker.Tracked);
        tracker.Touch("c", "p1", Start + 61 * Minute);
        Assert.Equal(["b"], tracker.Advance().Select(q => q.UserId));

        Assert.True(tracker.Arm("a", "p0", Start + 30 * Minute)); // the partition came back: restored from its index
        tracker.Touch("c", "p1", Start + 91 * Minute);
        Assert.Equal(["a"], tracker.Advance().Select(q => q.UserId));
    }

    [Fact]
    public void The_tracker_holds_at_most_its_user_limit_and_counts_the_rest()
    {
        var tracker = new InactivityTracker(TimeSpan.FromHours(1), TimeSpan.Zero, 2);
        foreach (var user in new[] { "a", "b", "c" })
            tracker.Touch(user, "p", Start);
        Assert.Equal(2, tracker.Tracked);
        Assert.Equal(1, tracker.Untracked);
        tracker.Touch("d", "p", Start + 2 * 60 * Minute);
        Assert.Equal(["a", "b"], tracker.Advance().Select(q => q.UserId).ToArray());
    }

    [Fact]
    public void Churn_risk_grows_with_silence_and_comes_sooner_for_frequent_visitors()
    {
        var day = 24 * 60 * Minute;
        var frequent = Profile("f", [.. Enumerable.Range(0, 10).Select(i => Start + i * day)]); // a visit a day
        var rare = Profile("r", Start, Start + 20 * day);                                         // two visits 20 days apart
        var prior = TimeSpan.FromDays(7);
        var last = Start + 9 * day;
        Gen.Select(Gen.Long[0, 60 * day], Gen.Long[0, 60 * day]).Sample((a, b) =>
        {
            var (shorter, longer) = a <= b ? (a, b) : (b, a);
            Assert.True(ChurnRisk.Of(frequent.Features, last + shorter, prior) <= ChurnRisk.Of(frequent.Features, last + longer, prior));
            var risk = ChurnRisk.Of(frequent.Features, last + a, prior);
            Assert.InRange(risk, 0, 1);
        });
        Assert.Equal(0, ChurnRisk.Of(frequent.Features, last, prior));
        Assert.True(ChurnRisk.Of(frequent.Features, last + 5 * day, prior) > 0.8, "five silent days are unusual for a daily visitor");
        Assert.True(ChurnRisk.Of(rare.Features, Start + 25 * day, prior) < 0.5, "five silent days are usual for a rare visitor");
    }

    private static DecisionRule Rule(string name, int priority, int cap, TimeSpan per, RuleCondition? when = null, RuleTrigger on = RuleTrigger.Update) =>
        new(name, on, when ?? new RuleCondition(), name + "-action", priority, new FrequencyCap(cap, per));

    /// <summary>What the entity does with a request: the ledger decides, and the entry is recorded.</summary>
    private static LedgerDecision Decide(DecisionLedger ledger, RuleBook book, ScoredProfile profile, RuleTrigger trigger, long at, long? flagVersion = null,
        long ride = 0)
    {
        var decided = ledger.Decide(profile.Features.ProfileVersion, flagVersion, book.Holding(profile, trigger), at, ride);
        if (decided.ToRecord(flagVersion, at, ride, DecisionBasis.Of(profile)) is { } entry)
            ledger.Apply(entry, book.LongestCapPeriod);
        return decided;
    }

    [Fact]
    public void No_user_gets_more_actions_of_a_rule_than_its_cap_in_any_period_and_the_highest_priority_uncapped_rule_wins_across_restarts()
    {
        var rules = new[]
        {
            Rule("high", 30, 1, TimeSpan.FromHours(2)),
            Rule("mid", 20, 2, TimeSpan.FromHours(1)),
            Rule("low", 10, 3, TimeSpan.FromMinutes(30)),
        };
        var book = new RuleBook(rules);
        Gen.Select(Update, Gen.Bool).Array[1, 150].Sample(updates =>
        {
            var ledgers = new Dictionary<string, DecisionLedger>();
            var fired = new List<(string User, string Rule, long At)>();
            var now = Start;
            var offset = 0L;
            foreach (var ((user, step), restart) in updates)
            {
                now += Math.Max(0, step) * Minute / 3;
                var id = $"u{user}";
                // A restart: the entity recovers its ledger from its snapshot bytes.
                var ledger = ledgers[id] = restart && ledgers.TryGetValue(id, out var held)
                    ? DecisionLedger.FromBytes(held.ToBytes())
                    : ledgers.GetValueOrDefault(id) ?? DecisionLedger.Empty();
                var decided = Decide(ledger, book, Profile(id, now), RuleTrigger.Update, now, ride: ++offset); // each update rides on its own record
                // Oracle: the first rule by priority whose cap still has room.
                var open = rules.OrderByDescending(r => r.Priority).FirstOrDefault(r =>
                    fired.Count(a => a.User == id && a.Rule == r.Name && a.At > now - (long)r.Cap.Per.TotalMilliseconds) < r.Cap.Count);
                Assert.Equal(open?.Name, decided.Rule?.Name);
                Assert.Equal(rules.Count(r => r.Priority > (open?.Priority ?? 0)), decided.Capped);
                if (decided.Rule is { } rule)
                    fired.Add((id, rule.Name, now));
            }
            foreach (var rule in rules)
                foreach (var group in fired.Where(a => a.Rule == rule.Name).GroupBy(a => a.User))
                    foreach (var a in group)
                        Assert.True(group.Count(b => b.At > a.At - (long)rule.Cap.Per.TotalMilliseconds && b.At <= a.At) <= rule.Cap.Count);
        }, iter: 100);
    }

    [Fact]
    public void A_profile_version_is_flagged_inactive_once_and_only_while_it_is_the_current_one_and_the_same_request_gets_the_same_answer()
    {
        var book = new RuleBook([Rule("win-back", 1, 5, TimeSpan.FromDays(30), new RuleCondition { AllTags = [ProfileTags.Inactive] }, RuleTrigger.Inactive)]);
        var ledger = DecisionLedger.Empty();
        var profile = Profile("a", Start, Start + Minute); // version 2
        var flagged = profile.AsInactive(Start, Start + 3 * Minute, 0.9);
        Assert.Equal(2, profile.Features.ProfileVersion);
        Assert.Equal(new LedgerDecision(false, null, 0), ledger.Decide(3, 2, book.Holding(flagged, RuleTrigger.Inactive), Start, 7)); // it moved on
        var first = Decide(ledger, book, flagged, RuleTrigger.Inactive, Start + 3 * Minute, flagVersion: 2, ride: 40);
        Assert.Equal(new LedgerDecision(true, book.Rules[0], 0), first);
        // Asked again after a timeout (same time, same record): the same answer, recorded once.
        var restored = DecisionLedger.FromBytes(ledger.ToBytes());
        Assert.Equal(new LedgerDecision(true, book.Rules[0], 0) { Replayed = true }, Decide(restored, book, flagged, RuleTrigger.Inactive, Start + 3 * Minute, 2, 40));
        Assert.Single(restored.Actions);
        // Another timer for the same version (another node's): refused, and no second action.
        Assert.Equal(new LedgerDecision(false, null, 0) { AlreadyFlagged = true }, Decide(restored, book, flagged, RuleTrigger.Inactive, Start + 4 * Minute, 2, 55));
        // A flag with no holding rule is still recorded.
        var plain = DecisionLedger.Empty();
        Assert.Equal(new LedgerDecision(true, null, 0), Decide(plain, RuleBook.None, profile, RuleTrigger.Inactive, Start, flagVersion: 2));
        Assert.Equal(2, plain.FlaggedVersion);
    }

    [Fact]
    public void The_decisions_published_with_a_record_read_again_are_the_ones_given_back()
    {
        var book = new RuleBook([Rule("often", 1, 100, TimeSpan.FromDays(1)), Rule("win-back", 1, 5, TimeSpan.FromDays(30), on: RuleTrigger.Inactive)]);
        var ledger = DecisionLedger.Empty();
        var profile = Profile("a", Start);
        for (var i = 0; i < 10; i++)
            Decide(ledger, book, profile, RuleTrigger.Update, Start + i * Minute, ride: 100 + i);
        Decide(ledger, book, profile.AsInactive(Start, Start, 1), RuleTrigger.Inactive, Start + 20 * Minute, flagVersion: 1, ride: 120);
        var (flag, actions) = ledger.Since(105);
        Assert.True(flag);
        Assert.Equal([105L, 106, 107, 108, 109, 120], actions.Select(a => a.Ride));
        Assert.Equal("win-back", actions[^1].Rule);
        // Each action keeps what it was decided on, through the ledger's bytes too: published again, it says the same.
        var restored = DecisionLedger.FromBytes(ledger.ToBytes()).Since(0).Actions;
        Assert.Equal(DecisionBasis.Of(profile.AsInactive(Start, Start, 1)), restored[^1].Basis);
        Assert.Equal(DecisionBasis.Of(profile), restored[0].Basis);
        var later = Profile("a", Start, Start + Minute);
        Assert.Equal(DecisionBasis.Of(profile), DecisionBasis.Of(restored[0].Basis.On(later)));
        var (flagBefore, none) = DecisionLedger.FromBytes(ledger.ToBytes()).Since(121);
        Assert.False(flagBefore);
        Assert.Empty(none);
    }

    [Fact]
    public void A_rule_fires_only_when_its_trigger_and_every_part_of_its_condition_match()
    {
        var inactiveOnly = Rule("win-back", 10, 5, TimeSpan.FromDays(30),
            new RuleCondition { MinChurnRisk = 0.5, AllTags = [ProfileTags.Inactive], NoTags = [ProfileTags.BigSpender] }, RuleTrigger.Inactive);
        var book = new RuleBook([inactiveOnly]);
        var profile = Profile("w", Start, Start + 60 * Minute);
        Assert.Empty(book.Holding(profile, RuleTrigger.Update));
        Assert.Empty(book.Holding(profile, RuleTrigger.Inactive)); // no inactive tag, no churn risk
        Assert.Empty(book.Holding(profile.AsInactive(Start, Start, 0.4), RuleTrigger.Inactive));
        Assert.Equal("win-back-action", Assert.Single(book.Holding(profile.AsInactive(Start, Start + 1, 0.9), RuleTrigger.Inactive)).Action);
        Assert.Empty(book.Holding(profile.AsInactive(Start, Start + 2, 0.9) with { Tags = profile.Tags.Add(ProfileTags.Inactive).Add(ProfileTags.BigSpender) },
            RuleTrigger.Inactive));
        var segmented = new RuleBook([Rule("seg", 1, 5, TimeSpan.FromDays(1), new RuleCondition { Segments = ["s2", "frequent browsers"] })]);
        Assert.Empty(segmented.Holding(profile, RuleTrigger.Update)); // no segment yet
        Assert.Empty(segmented.Holding(profile with { Segment = new SegmentAssignment("s1", "occasional buyers", 1) }, RuleTrigger.Update));
        Assert.Single(segmented.Holding(profile with { Segment = new SegmentAssignment("s2", "occasional buyers", 1) }, RuleTrigger.Update));
        Assert.Single(segmented.Holding(profile with { Segment = new SegmentAssignment("s7", "frequent browsers", 3) }, RuleTrigger.Update));
        var tiered = new RuleBook([Rule("tier", 1, 1, TimeSpan.FromDays(1), new RuleCondition { Tiers = ["champion"], MinPropensity = 0.0 })]);
        Assert.Empty(tiered.Holding(profile, RuleTrigger.Update));
        Assert.Single(tiered.Holding(profile with { Rfm = profile.Rfm with { Tier = "champion" } }, RuleTrigger.Update));
    }

    [Fact]
    public void The_ledger_forgets_actions_older_than_the_longest_cap_period_and_keeps_the_rest_through_its_bytes()
    {
        var book = new RuleBook([Rule("daily", 2, 1, TimeSpan.FromDays(1)), Rule("hourly", 1, 1, TimeSpan.FromHours(1))]);
        var ledger = DecisionLedger.Empty();
        var profile = Profile("a", Start);
        for (var hour = 0; hour < 48; hour++)
            Decide(ledger, book, profile, RuleTrigger.Update, Start + hour * 60 * Minute, ride: hour);
        Assert.All(ledger.Actions, a => Assert.True(a.At > Start + 47 * 60 * Minute - 24 * 60 * Minute));
        Assert.Equal(ledger.Actions, DecisionLedger.FromBytes(ledger.ToBytes()).Actions);
        // Hour 0 and hour 24 went to the daily rule, the others to the hourly one; what is older than a day before hour 47 is gone.
        Assert.Equal([("daily", Start + 24 * 60 * Minute), .. Enumerable.Range(25, 23).Select(h => ("hourly", Start + h * 60 * Minute))],
            ledger.Actions.Select(a => (a.Rule, a.At)));
    }
}
