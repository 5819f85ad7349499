using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Learning.Tests;

public sealed class PrequentialReplaySpecs
{
    internal static IEnumerable<BehaviorEvent> Generated(GeneratorSettings settings)
    {
        var format = new JsonLinesFormat();
        var cleaner = new BehaviorCleaner(new Pseudonymizer("learning-specs-key-0123456789"), CleanerSettings.Default,
            () => DateTimeOffset.UtcNow);
        return new BehaviorGenerator(settings).Generate()
            .Select(r => cleaner.Clean(format.Read(new SourcePosition(settings.SourceId, r.Offset), r.Line)).Event)
            .OfType<BehaviorEvent>();
    }

    private static readonly EvaluationSettings Settings = new(ProfileSettings.Default, DecisionPointSettings.Default,
        new LearnerSettings { MiniBatch = 300, ColdStartLabels = 300, ShadowExamples = 500, TrainingWindow = 3_000 });

    [Fact]
    public void Replaying_the_generator_labels_decision_points_learns_a_model_and_reports_it_beside_the_batch_reference()
    {
        var report = PrequentialReplay.Run(Generated(new GeneratorSettings { Events = 120_000, Users = 3_000, Seed = 3 }), Settings);

        Assert.True(report.DecisionPoints > 5_000, $"{report.DecisionPoints} decision points");
        Assert.Equal(report.DecisionPoints - report.TooLate - report.Dropped, report.Labelled);
        Assert.InRange(report.Positives, 1, report.Labelled - 1);
        Assert.NotEmpty(report.Promoted);
        Assert.True(report.Online.Auc > 0.6, $"online AUC {report.Online.Auc}");
        Assert.True(report.BatchTestAuc > 0.6, $"batch AUC {report.BatchTestAuc}");
        Assert.Equal(report.Labelled, report.TrainExamples + report.TestExamples);
    }

    [Fact]
    public void Each_users_decision_points_are_the_min_gap_apart_counted_per_user()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var offset = 0L;
        BehaviorEvent CartAdd(string user, int minute) => new($"{user}-{minute}", user, BehaviorType.CartAdd, start + minute * 60_000L, "i", "c", "b",
            null, 1, null, null, null, BehaviorEvent.NoAttributes, new SourcePosition("spec", offset++));
        // Interleaved: ann's carts at minutes 0, 1, 2, 6, 9, 11; bob's at 3, 4, 8, 9.
        var events = new[] { CartAdd("ann", 0), CartAdd("ann", 1), CartAdd("ann", 2), CartAdd("bob", 3), CartAdd("bob", 4), CartAdd("ann", 6),
            CartAdd("bob", 8), CartAdd("ann", 9), CartAdd("bob", 9), CartAdd("ann", 11) };
        DecisionPointSettings Gap(int minutes) => Settings.DecisionPoints with { MinGap = TimeSpan.FromMinutes(minutes) };

        Assert.Equal(10, PrequentialReplay.Run(events, Settings with { DecisionPoints = Gap(0) }).DecisionPoints);
        // 5 minutes: ann at 0, 6 and 11, bob at 3 and 8.
        Assert.Equal(5, PrequentialReplay.Run(events, Settings with { DecisionPoints = Gap(5) }).DecisionPoints);
    }

    [Fact]
    public void A_concept_shift_is_measured_and_the_learner_does_better_than_the_model_frozen_at_the_shift()
    {
        var settings = new GeneratorSettings { Events = 200_000, Users = 3_000, Seed = 5, ConceptShiftAt = 0.5 };
        var shiftAt = settings.Start.ToUnixTimeMilliseconds() + (long)(0.5 * settings.Horizon.TotalMilliseconds);
        var report = PrequentialReplay.Run(Generated(settings), Settings, shiftAt);

        var shift = Assert.IsType<ShiftRecovery>(report.Shift);
        Assert.True(shift.OnlineAuc > shift.FrozenAuc + 0.02, $"online {shift.OnlineAuc:F3} vs frozen {shift.FrozenAuc:F3}");
    }
}
