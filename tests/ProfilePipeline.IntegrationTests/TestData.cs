using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Node;

namespace ProfilePipeline.IntegrationTests;

/// <summary>Temporary folders and generated data sets for integration tests.</summary>
public static class TestData
{
    public static string NewFolder(string purpose)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"pp-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Writes the generator's events, catalogue and users to files, as `generate` does, and returns the records.</summary>
    public static List<GeneratedRecord> WriteGenerated(GeneratorSettings settings, string folder)
    {
        var generator = new BehaviorGenerator(settings);
        var records = generator.Generate().ToList();
        File.WriteAllLines(Path.Combine(folder, "events.jsonl"), records.Select(r => r.Line));
        generator.Catalogue.WriteCsv(Path.Combine(folder, "items.csv"));
        generator.WriteUserAttributesCsv(Path.Combine(folder, "users.csv"));
        return records;
    }

    public static GroundTruth TruthOf(GeneratorSettings settings, IEnumerable<GeneratedRecord> records) =>
        new(records, new BehaviorGenerator(settings).Catalogue.Items, NodeConfig.DefaultPseudonymKey);

    /// <summary>The repository's ../shared/data folder, when this checkout sits beside it.</summary>
    public static string? SharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
