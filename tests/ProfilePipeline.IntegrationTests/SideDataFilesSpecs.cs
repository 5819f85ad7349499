using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Node;

namespace ProfilePipeline.IntegrationTests;

public sealed class SideDataFilesSpecs
{
    [Fact]
    public void A_changed_catalogue_is_swapped_in_and_a_broken_one_keeps_the_previous_version()
    {
        var folder = TestData.NewFolder("side");
        var catalogue = Path.Combine(folder, "items.csv");
        File.WriteAllLines(catalogue, ["itemId,categoryId,categoryPath,brand,price", "i1,c1,home,acme,1.5"]);
        var files = new SideDataFiles(catalogue, null, new Pseudonymizer(NodeConfig.DefaultPseudonymKey));
        Assert.Null(files.ReloadIfChanged());

        File.WriteAllLines(catalogue, ["itemId,categoryId,categoryPath,brand,price", "i1,c1,home,acme,1.5", "i2,c2,toys,zed,3"]);
        File.SetLastWriteTimeUtc(catalogue, DateTime.UtcNow.AddMinutes(1));
        Assert.Contains("reloaded", files.ReloadIfChanged());
        Assert.Equal("c2", files.Current.Catalogue.Find("i2")!.CategoryId);

        File.WriteAllLines(catalogue, ["itemId,categoryId,categoryPath,brand,price", "broken"]);
        File.SetLastWriteTimeUtc(catalogue, DateTime.UtcNow.AddMinutes(2));
        Assert.Contains("not reloaded", files.ReloadIfChanged());
        Assert.Equal(2, files.Current.Catalogue.Count);
    }
}
