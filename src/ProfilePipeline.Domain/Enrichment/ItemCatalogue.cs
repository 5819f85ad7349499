using System.Collections.Frozen;
using System.Globalization;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;

namespace ProfilePipeline.Domain.Enrichment;

/// <summary>Item side data: itemId → category, path, brand, price. Immutable; a reload builds a new one.</summary>
public sealed class ItemCatalogue(FrozenDictionary<string, CatalogueItem> items)
{
    public static readonly ItemCatalogue Empty = new(FrozenDictionary<string, CatalogueItem>.Empty);

    public int Count => items.Count;

    public CatalogueItem? Find(string? itemId) => itemId is not null && items.TryGetValue(itemId, out var item) ? item : null;

    public static ItemCatalogue From(IEnumerable<CatalogueItem> items) =>
        new(items.ToFrozenDictionary(i => i.ItemId, StringComparer.Ordinal));

    /// <summary>Loads "itemId,categoryId,categoryPath,brand,price" (header required). Bad rows fail the load with their line number.</summary>
    public static ItemCatalogue LoadCsv(string path)
    {
        var items = new Dictionary<string, CatalogueItem>(StringComparer.Ordinal);
        var fields = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1 || line.Length == 0)
                continue;
            if (!CsvLine.TrySplit(line, fields) || fields.Count < 5)
                throw new FormatException($"{path}:{lineNumber}: expected itemId,categoryId,categoryPath,brand,price");
            decimal.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var price);
            items[fields[0]] = new CatalogueItem(fields[0], fields[1], fields[2], fields[3], price);
        }
        return new ItemCatalogue(items.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
