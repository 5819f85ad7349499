using ProfilePipeline.Domain.Generation;

namespace ProfilePipeline.Domain.Tests;

public class BehaviorGeneratorTests
{
    private static readonly GeneratorSettings Small = new() { Events = 5_000, Users = 300, Seed = 9 };

    [Fact]
    public void The_same_settings_give_the_same_stream() =>
        Assert.Equal(new BehaviorGenerator(Small).Generate().Select(r => r.Line), new BehaviorGenerator(Small).Generate().Select(r => r.Line));

    [Fact]
    public void It_emits_exactly_the_requested_number_of_records_with_malformed_and_duplicate_shares()
    {
        var records = new BehaviorGenerator(Small with { MalformedShare = 0.02, DuplicateShare = 0.02 }).Generate().ToList();
        Assert.Equal(Small.Events, records.Count);
        Assert.Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), records.Select(r => r.Offset));
        var malformed = records.Count(r => r.MalformedAs is not null);
        var duplicates = records.Count - records.Select(r => r.Line).Distinct().Count();
        Assert.InRange(malformed, 40, 160);
        Assert.InRange(duplicates, 40, 160);
    }

    [Fact]
    public void The_funnel_narrows_from_views_to_carts_to_purchases()
    {
        var lines = new BehaviorGenerator(Small with { Events = 40_000, MalformedShare = 0, DuplicateShare = 0 }).Generate().Select(r => r.Line).ToList();
        var carts = lines.Count(l => l.Contains("\"type\":\"cart_add\"", StringComparison.Ordinal));
        var purchases = lines.Count(l => l.Contains("\"type\":\"purchase\"", StringComparison.Ordinal));
        var views = lines.Count(l => l.Contains("\"type\":\"view\"", StringComparison.Ordinal));
        Assert.True(views > carts && carts > purchases && purchases > 0, $"views {views}, carts {carts}, purchases {purchases}");
    }
}
