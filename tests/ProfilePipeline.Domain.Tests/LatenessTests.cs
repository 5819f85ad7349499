using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using static ProfilePipeline.Domain.Tests.EventBuilder;

namespace ProfilePipeline.Domain.Tests;

public class LatenessTests
{
    private static readonly ProfileSettings Settings = ProfileSettings.Default with { AllowedLateness = TimeSpan.FromMinutes(10) };

    private static (ProfileState State, EventOutcome Outcome) Apply(ProfileState state, BehaviorEvent e)
    {
        var decision = state.Decide([e]);
        return (state.Apply(decision.ToPersist!), decision.Outcomes[0]);
    }

    [Fact]
    public void An_event_older_than_the_newest_minus_the_allowed_lateness_is_late_and_folds_nothing()
    {
        var (state, _) = Apply(ProfileState.Empty(Settings), Event(0, BehaviorType.View, Start + 3_600_000));
        var (after, outcome) = Apply(state, Event(1, BehaviorType.Purchase, Start + 3_600_000 - 11 * 60_000, price: 5m));

        Assert.Equal(EventOutcome.Late, outcome);
        Assert.Equal(1, after.Version);
        Assert.Equal(0, after.Features("u").Lifetime.Purchases);
        // Its offset is remembered, so a redelivery of the late record is recognised and not dead-lettered twice.
        Assert.Equal(EventOutcome.Redelivered, after.Decide([Event(1, BehaviorType.Purchase, Start)]).Outcomes[0]);
    }

    [Fact]
    public void An_out_of_order_event_within_the_allowed_lateness_is_folded_into_its_own_bucket()
    {
        var (state, _) = Apply(ProfileState.Empty(Settings), Event(0, BehaviorType.View, Start + 3_600_000));
        var (after, outcome) = Apply(state, Event(1, BehaviorType.Purchase, Start + 3_600_000 - 9 * 60_000, price: 5m));

        Assert.Equal(EventOutcome.Applied, outcome);
        var features = after.Features("u");
        Assert.Equal(Start + 3_600_000, features.AsOf);
        Assert.Equal(1, features.Last1h.Purchases);
        Assert.Equal(5m, features.Last1h.Spend);
    }
}
