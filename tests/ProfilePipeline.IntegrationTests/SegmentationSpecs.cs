using Akka.Actor;
using Akka.Configuration;
using ProfilePipeline.Entities;
using ProfilePipeline.Node.Learning;
using ProfilePipeline.Node.Segments;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The segmentation singleton on a real SQLite journal: it trains from samples, retrains, and serves the same version after a restart.</summary>
public sealed class SegmentationSpecs
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly SegmentationSettings Small = new(Clusters: 3, SampleRate: 1, SampleUsers: 2_000, MinSamples: 300, RetrainEvery: 600);

    private static Config Configuration(string database) => ConfigurationFactory.ParseString("akka.loglevel = WARNING")
        .WithFallback(LearnerSerializer.Configuration)
        .WithFallback(ProfileSerializer.Configuration)
        .WithFallback(PersistenceConfig.Sqlite(database));

    /// <summary>Users of three kinds (heavy buyers, browsers, rare visitors), as segment vectors.</summary>
    private static IEnumerable<SegmentSample> Samples(int seed, int count)
    {
        var random = new Random(seed);
        double[][] kinds = [[200, 12, 900, 20, 9], [120, 0, 0, 1, 2], [3, 0, 0, 0, 1]];
        for (var i = 0; i < count; i++)
        {
            var kind = kinds[i % 3];
            yield return new SegmentSample($"u{seed}-{i}", [.. kind.Select(m => Math.Log(1 + m * (0.8 + 0.4 * random.NextDouble())))]);
        }
    }

    [Fact]
    public async Task Segmentations_are_trained_from_samples_retrained_and_the_last_version_serves_again_after_a_restart()
    {
        var database = Path.Combine(TestData.NewFolder("segments"), "profiles.db");
        SegmentsServed served;
        using (var system = ActorSystem.Create("segments", Configuration(database)))
        {
            var segmentation = system.ActorOf(SegmentationActor.Props(Small, publishToCluster: false), "segmentation");
            foreach (var chunk in Samples(1, 299).Chunk(100))
                segmentation.Tell(new SegmentSamples([.. chunk]));
            Assert.Null((await segmentation.Ask<SegmentsServed>(GetSegments.Instance, Timeout)).Model); // below min-samples
            foreach (var chunk in Samples(2, 1_200).Chunk(100))
                segmentation.Tell(new SegmentSamples([.. chunk]));
            served = await segmentation.Ask<SegmentsServed>(GetSegments.Instance, Timeout);
            Assert.NotNull(served.Model);
            Assert.Equal(2, served.Model.Version); // once 300 users are in, again after 600 more vectors (500 wait for the next)
            Assert.Equal(3, served.Model.Segments.Length);
            await system.Terminate();
        }

        using (var system = ActorSystem.Create("segments", Configuration(database)))
        {
            var segmentation = system.ActorOf(SegmentationActor.Props(Small, publishToCluster: false), "segmentation");
            var after = await segmentation.Ask<SegmentsServed>(GetSegments.Instance, Timeout);
            Assert.Equal(served.Model.Version, after.Model!.Version);
            Assert.Equal(served.Model.Segments.Select(s => (s.Id, s.Name)), after.Model.Segments.Select(s => (s.Id, s.Name)));

            // Retrained after the restart, on new users of the same kinds: the next version, the same ids for the same kinds.
            foreach (var chunk in Samples(3, 900).Chunk(100))
                segmentation.Tell(new SegmentSamples([.. chunk]));
            var retrained = (await segmentation.Ask<SegmentsServed>(GetSegments.Instance, Timeout)).Model!;
            Assert.Equal(served.Model.Version + 1, retrained.Version);
            foreach (var sample in Samples(4, 30))
                Assert.Equal(served.Model.Nearest(served.Model.Standardize(sample.Vector)).Id, retrained.Nearest(retrained.Standardize(sample.Vector)).Id);
            await system.Terminate();
        }
    }
}
