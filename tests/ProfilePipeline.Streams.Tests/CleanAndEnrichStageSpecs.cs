using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using ProfilePipeline.Domain.Enrichment;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;
using System.Collections.Frozen;

namespace ProfilePipeline.Streams.Tests;

/// <summary>The clean and enrich stages materialized in a real actor system.</summary>
public sealed class CleanAndEnrichStageSpecs : TestKit
{
    private static readonly Pseudonymizer Pseudonyms = new("stage-spec-key-0123456789");
    private readonly PipelineMetrics _metrics = new();
    private readonly BehaviorCleaner _cleaner = new(Pseudonyms, CleanerSettings.Default with { MaxPayloadBytes = 1000 },
        () => new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));

    private static PipelineItem Item(long offset, string line) =>
        new(new SourcePosition("spec", offset), Stopwatch.GetTimestamp()) { Raw = new JsonLinesFormat().Read(new SourcePosition("spec", offset), line) };

    private async Task<IReadOnlyList<PipelineItem>> RunAsync(Flow<PipelineItem, PipelineItem, Akka.NotUsed> flow, params string[] lines) =>
        await Source.From(lines.Select((line, i) => Item(i, line)))
            .Via(flow)
            .RunWith(Sink.Seq<PipelineItem>(), Sys.Materializer())
            .WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_clean_stage_must_dead_letter_every_rejection_reason_and_keep_every_record_in_order()
    {
        string[] lines =
        [
            "{\"eventId\":\"ok1\",\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":1767225600000}",
            "not json",
            "{\"type\":\"view\",\"timestamp\":1767225600000}",
            "{\"userId\":\"u1\",\"type\":\"warp\",\"timestamp\":1767225600000}",
            "{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":\"whenever\"}",
            "{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":\"2199-01-01T00:00:00Z\"}",
            "{\"userId\":\"u1\",\"type\":\"purchase\",\"timestamp\":1767225600000,\"price\":\"x\"}",
            "{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":1767225600000,\"query\":\"" + new string('q', 2000) + "\"}",
            "{\"eventId\":\"ok1\",\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":1767225600000}",
        ];
        var items = await RunAsync(CleanStage.Create(_cleaner, _metrics, recentIds: 100), lines);

        Assert.Equal(Enumerable.Range(0, lines.Length).Select(i => (long)i), items.Select(i => i.Position.Offset));
        Assert.NotNull(items[0].Event);
        Assert.Equal(
            [DeadLetterReasons.Unreadable, DeadLetterReasons.MissingField, DeadLetterReasons.UnknownType, DeadLetterReasons.BadTimestamp,
             DeadLetterReasons.FutureTimestamp, DeadLetterReasons.BadNumber, DeadLetterReasons.TooLarge],
            items.Skip(1).Take(7).Select(i => i.DeadLetter!.Reason));
        Assert.All(items.Skip(1).Take(6), i => Assert.Equal(lines[i.Position.Offset], i.DeadLetter!.Payload));
        Assert.StartsWith(lines[7][..1000], items[7].DeadLetter!.Payload); // cut to the limit, so that it fits where dead letters go
        Assert.True(items[8].DroppedAsDuplicate);
        Assert.Equal(lines.Length, _metrics.Read);
    }

    [Fact]
    public async Task An_enrich_stage_must_fill_item_fields_join_user_attributes_and_keep_unknown_items()
    {
        var catalogue = ItemCatalogue.From([new CatalogueItem("i1", "c7", "home.sub0", "Acme", 12.5m)]);
        var users = new UserDirectory(new Dictionary<string, UserAttributes>
        {
            [Pseudonyms.Pseudonymize("u1")] = new("25-34", "f", "north", 1_700_000_000_000),
        }.ToFrozenDictionary());
        var flow = CleanStage.Create(_cleaner, _metrics, 100).Via(EnrichStage.Create(new SideData(catalogue, users), _metrics));

        var items = await RunAsync(flow,
            "{\"userId\":\"u1\",\"type\":\"purchase\",\"timestamp\":1767225600000,\"itemId\":\"i1\"}",
            "{\"userId\":\"u2\",\"type\":\"view\",\"timestamp\":1767225600000,\"itemId\":\"nope\",\"categoryId\":\"c3\"}");

        var known = items[0].Event!;
        Assert.Equal(("c7", "acme", 12.5m), (known.CategoryId, known.Brand, known.Price));
        Assert.Equal("north", items[0].Attributes!.Region);
        Assert.True(items[0].ItemKnown);
        Assert.False(items[1].ItemKnown);
        Assert.Equal("c3", items[1].Event!.CategoryId);
        Assert.Null(items[1].Attributes);
        Assert.Equal(1, _metrics.UnknownItems);
    }
}
