using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Enrichment;

/// <summary>
/// Fills an event's missing item fields from the catalogue. An item the catalogue does not know keeps what the
/// event said and is reported as unknown; it is never dropped.
/// </summary>
public static class BehaviorEnricher
{
    public static (BehaviorEvent Event, bool ItemKnown) Enrich(BehaviorEvent e, ItemCatalogue catalogue)
    {
        if (e.ItemId is null)
            return (e, true);
        var item = catalogue.Find(e.ItemId);
        if (item is null)
            return (e, false);
        if (e.CategoryId is not null && e.Brand is not null && e.Price is not null)
            return (e, true);
        return (e with
        {
            CategoryId = e.CategoryId ?? item.CategoryId,
            Brand = e.Brand ?? item.Brand.ToLowerInvariant(),
            Price = e.Price ?? item.Price,
        }, true);
    }
}
