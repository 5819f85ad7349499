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
            var pendingSince = new HashSet<string>(); // users observed since they were last reported
            var now = Start;
            var newest = long.MinValue;
            foreach (var (user, step) in updates)
            {
                now += step * Minute;
                var id = $"u{user}";
                var at = Math.Max(now, newestOf.GetValueOrDefault(id, long.MinValue)); // a user's own profile only moves forward
                newestOf[id] = at;
                newest = Math.Max(newest, at);
                pendingSince.Add(id);
                tracker.Observe(Profile(id, at));
                var watermark = newest - lateness;
                var reported = tracker.Advance();
                // The oracle: every pending user whose newest event plus the gap the watermark has passed, and only those.
                var expected = pendingSince.Where(u => newestOf[u] + gap <= watermark).OrderBy(u => u).ToList();
                Assert.Equal(expected, reported.Select(q => q.Profile.Features.UserId).OrderBy(u => u).ToList());
                foreach (var q in reported)
                {
                    Assert.Equal(newestOf[q.Profile.Features.UserId] + gap, q.QuietSince);
                    Assert.Equal(watermark, q.DetectedAt);
                    pendingSince.Remove(q.Profile.Features.UserId);
                }
            }
            Assert.Equal(pendingSince.Count, tracker.Tracked);
        }, iter: 200);
    }

    [Fact]
    public void An_applied_event_moves_the_timer_before_the_profile_that_includes_it_arrives()
    {
        // User a's event at 2h59 is applied in a micro-batch whose profile rides on a later record; user b's event moves
        // the watermark past a's first deadline in between.
        var tracker = new InactivityTracker(TimeSpan.FromHours(3), TimeSpan.Zero, 10);
        tracker.Observe(Profile("a", Start));
        tracker.Touch("a", Start + 179 * Minute);
        tracker.Observe(Profile("b", Start + 181 * Minute));
        Assert.Empty(tracker.Advance());
        var later = Profile("a", Start, Start + 179 * Minute);
        tracker.Observe(later);
        tracker.Observe(Profile("b", Start + 359 * Minute));
        var quiet = Assert.Single(tracker.Advance());
        Assert.Same(later, quiet.Profile);
        Assert.Equal(Start + 359 * Minute, quiet.QuietSince);
    }

    [Fact]
    public void The_tracker_holds_at_most_its_user_limit_and_counts_the_rest()
    {
        var tracker = new InactivityTracker(TimeSpan.FromHours(1), TimeSpan.Zero, 2);
        foreach (var user in new[] { "a", "b", "c" })
            tracker.Observe(Profile(user, Start));
        Assert.Equal(2, tracker.Tracked);
        Assert.Equal(1, tracker.Untracked);
        tracker.Observe(Profile("d", Start + 2 * 60 * Minute));
        Assert.Equal(["a", "b"], tracker.Advance().Select(q => q.Profile.Features.UserId).ToArray());
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

    [Fact]
    public void No_user_gets_more_actions_of_a_rule_than_its_cap_in_any_period_and_the_highest_priority_uncapped_rule_wins()
    {
        var rules = new[]
        {
            Rule("high", 30, 1, TimeSpan.FromHours(2)),
            Rule("mid", 20, 2, TimeSpan.FromHours(1)),
            Rule("low", 10, 3, TimeSpan.FromMinutes(30)),
        };
        Update.Array[1, 150].Sample(updates =>
        {
            var book = new RuleBook(rules, 1_000);
            var fired = new List<ProfileAction>();
            var now = Start;
            foreach (var (user, step) in updates)
            {
                now += Math.Max(0, step) * Minute / 3;
                var profile = Profile($"u{user}", now);
                var action = book.Decide(profile, RuleTrigger.Update, now);
                // Oracle: the first rule by priority whose cap still has room.
                var open = rules.OrderByDescending(r => r.Priority).FirstOrDefault(r =>
                    fired.Count(a => a.UserId == $"u{user}" && a.Rule == r.Name && a.At > now - (long)r.Cap.Per.TotalMilliseconds) < r.Cap.Count);
                Assert.Equal(open?.Name, action?.Rule);
                if (action is not null)
                    fired.Add(action);
            }
            foreach (var rule in rules)
                foreach (var group in fired.Where(a => a.Rule == rule.Name).GroupBy(a => a.UserId))
                    foreach (var a in group)
                        Assert.True(group.Count(b => b.At > a.At - (long)rule.Cap.Per.TotalMilliseconds && b.At <= a.At) <= rule.Cap.Count);
        }, iter: 100);
    }

    [Fact]
    public void A_rule_fires_only_when_its_trigger_and_every_part_of_its_condition_match()
    {
        var inactiveOnly = Rule("win-back", 10, 5, TimeSpan.FromDays(30),
            new RuleCondition { MinChurnRisk = 0.5, AllTags = [ProfileTags.Inactive], NoTags = [ProfileTags.BigSpender] }, RuleTrigger.Inactive);
        var book = new RuleBook([inactiveOnly], 10);
        var profile = Profile("w", Start, Start + 60 * Minute);
        Assert.Null(book.Decide(profile, RuleTrigger.Update, Start));
        Assert.Null(book.Decide(profile, RuleTrigger.Inactive, Start)); // no inactive tag, no churn risk
        Assert.Null(book.Decide(profile.AsInactive(Start, Start, 0.4), RuleTrigger.Inactive, Start));
        var action = book.Decide(profile.AsInactive(Start, Start + 1, 0.9), RuleTrigger.Inactive, Start + 1);
        Assert.Equal("win-back-action", action?.Action);
        Assert.Null(book.Decide(profile.AsInactive(Start, Start + 2, 0.9) with { Tags = profile.Tags.Add(ProfileTags.Inactive).Add(ProfileTags.BigSpender) },
            RuleTrigger.Inactive, Start + 2));
        var segmented = new RuleBook([Rule("seg", 1, 5, TimeSpan.FromDays(1), new RuleCondition { Segments = ["s2", "frequent browsers"] })], 10);
        Assert.Null(segmented.Decide(profile, RuleTrigger.Update, Start)); // no segment yet
        Assert.Null(segmented.Decide(profile with { Segment = new SegmentAssignment("s1", "occasional buyers", 1) }, RuleTrigger.Update, Start));
        Assert.NotNull(segmented.Decide(profile with { Segment = new SegmentAssignment("s2", "occasional buyers", 1) }, RuleTrigger.Update, Start));
        Assert.NotNull(segmented.Decide(profile with { Segment = new SegmentAssignment("s7", "frequent browsers", 3) }, RuleTrigger.Update, Start));
        var tiered = new RuleBook([Rule("tier", 1, 1, TimeSpan.FromDays(1), new RuleCondition { Tiers = ["champion"], MinPropensity = 0.0 })], 10);
        Assert.Null(tiered.Decide(profile, RuleTrigger.Update, Start));
        Assert.NotNull(tiered.Decide(profile with { Rfm = profile.Rfm with { Tier = "champion" } }, RuleTrigger.Update, Start));
    }

    [Fact]
    public void A_full_ledger_refuses_new_users_rather_than_forget_a_cap()
    {
        var book = new RuleBook([Rule("once", 1, 1, TimeSpan.FromHours(1))], 2);
        Assert.NotNull(book.Decide(Profile("a", Start), RuleTrigger.Update, Start));
        Assert.NotNull(book.Decide(Profile("b", Start), RuleTrigger.Update, Start));
        Assert.Null(book.Decide(Profile("c", Start), RuleTrigger.Update, Start));
        Assert.Equal(1, book.RefusedLedgerFull);
        // An hour on, a and b's actions no longer count: the sweep makes room, and a's cap is open again.
        Assert.NotNull(book.Decide(Profile("c", Start + 61 * Minute), RuleTrigger.Update, Start + 61 * Minute));
        Assert.NotNull(book.Decide(Profile("a", Start + 62 * Minute), RuleTrigger.Update, Start + 62 * Minute));
    }
}
