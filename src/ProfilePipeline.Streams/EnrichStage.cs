using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Enrichment;

namespace ProfilePipeline.Streams;

/// <summary>Joins item catalogue and user attributes. The side data is read through a holder, so a reload swaps it while running.</summary>
public static class EnrichStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(SideData sideData, PipelineMetrics metrics) =>
        Flow.Create<PipelineItem>().Select(item =>
        {
            if (item.Event is not { } e)
                return item;
            var (enriched, known) = BehaviorEnricher.Enrich(e, sideData.Catalogue);
            metrics.RecordAccepted(enriched.Timestamp, known);
            return item with { Event = enriched, ItemKnown = known, Attributes = sideData.Users.Find(enriched.UserId) };
        });
}

/// <summary>The current side data; replaced as a whole (never mutated) when reloaded.</summary>
public sealed class SideData(ItemCatalogue catalogue, UserDirectory users)
{
    private volatile ItemCatalogue _catalogue = catalogue;
    private volatile UserDirectory _users = users;

    public ItemCatalogue Catalogue => _catalogue;

    public UserDirectory Users => _users;

    public void Replace(ItemCatalogue catalogue, UserDirectory users)
    {
        _catalogue = catalogue;
        _users = users;
    }
}
