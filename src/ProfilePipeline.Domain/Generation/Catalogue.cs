using System.Globalization;
using System.Text;

namespace ProfilePipeline.Domain.Generation;

/// <summary>An item of the catalogue side data (design.md §3).</summary>
public sealed record CatalogueItem(string ItemId, string CategoryId, string CategoryPath, string Brand, decimal Price);

/// <summary>The generator's synthetic catalogue: categories with their own price level and brands.</summary>
public sealed class Catalogue
{
    private static readonly string[] Departments = ["electronics", "apparel", "home", "beauty", "sports", "toys", "books", "grocery"];

    public Catalogue(GeneratorSettings settings)
    {
        var random = new DeterministicRandom(settings.Seed ^ 0xC0FFEEUL);
        var items = new List<CatalogueItem>(settings.Categories * settings.ItemsPerCategory);
        var byCategory = new List<IReadOnlyList<CatalogueItem>>();
        for (var c = 0; c < settings.Categories; c++)
        {
            var categoryId = "c" + c.ToString(CultureInfo.InvariantCulture);
            var path = $"{Departments[c % Departments.Length]}.sub{c / Departments.Length}";
            var medianPrice = 5 * Math.Pow(2, random.NextDouble() * 7); // 5 .. 640
            var inCategory = new List<CatalogueItem>(settings.ItemsPerCategory);
            for (var i = 0; i < settings.ItemsPerCategory; i++)
            {
                var brand = $"brand{c}-{random.Next(settings.BrandsPerCategory)}";
                var price = decimal.Round((decimal)random.LogNormal(medianPrice, 0.5), 2);
                var item = new CatalogueItem($"i{c}-{i}", categoryId, path, brand, Math.Max(0.5m, price));
                inCategory.Add(item);
                items.Add(item);
            }
            byCategory.Add(inCategory);
        }
        Items = items;
        ByCategory = byCategory;
    }

    public IReadOnlyList<CatalogueItem> Items { get; }

    public IReadOnlyList<IReadOnlyList<CatalogueItem>> ByCategory { get; }

    public static string CsvHeader => "itemId,categoryId,categoryPath,brand,price";

    public static string ToCsv(CatalogueItem item) =>
        string.Create(CultureInfo.InvariantCulture, $"{item.ItemId},{item.CategoryId},{item.CategoryPath},{item.Brand},{item.Price}");

    public void WriteCsv(string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.WriteLine(CsvHeader);
        foreach (var item in Items)
            writer.WriteLine(ToCsv(item));
    }
}
