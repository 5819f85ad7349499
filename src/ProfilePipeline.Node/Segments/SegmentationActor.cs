using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using ProfilePipeline.Domain.Segments;
using ProfilePipeline.Learning;

namespace ProfilePipeline.Node.Segments;

/// <summary>What the segmentation singleton is told and asked.</summary>
/// <param name="Samples">Users' segment feature vectors (<see cref="SegmentFeatures"/>), by pseudonymous user id.</param>
public sealed record SegmentSamples(ImmutableArray<SegmentSample> Samples);

public sealed record SegmentSample(string UserId, double[] Vector);

public sealed record GetSegments
{
    public static readonly GetSegments Instance = new();
}

/// <summary>The serving segmentation (null before the first is trained) and how many users the sample holds.</summary>
public sealed record SegmentsServed(SegmentModel? Model, int SampledUsers);

/// <summary>Settings of <see cref="SegmentationActor"/>.</summary>
public sealed record SegmentationSettings(int Clusters, double SampleRate, int SampleUsers, int MinSamples, int RetrainEvery);

/// <summary>
/// User segmentation as a cluster singleton: keeps a sample of users' latest segment feature vectors (at most
/// <c>SampleUsers</c> users; a new user replaces a random one when full), retrains KMeans once <c>MinSamples</c> users
/// are in and again every <c>RetrainEvery</c> new vectors, keeps segment ids stable by matching centroids, persists each
/// version and publishes it to every node. After a restart the last version serves again; the sample refills.
/// </summary>
public sealed class SegmentationActor : UntypedPersistentActor
{
    public const string Topic = "segment-models";
    private readonly SegmentationSettings _settings;
    private readonly SegmentTrainer _trainer;
    private readonly Dictionary<string, double[]> _sample = new(StringComparer.Ordinal);
    private readonly List<string> _sampledUsers = [];
    private readonly Random _random = new(17);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private SegmentModel? _serving;
    private readonly bool _publishToCluster;
    private int _newSinceTraining;

    public SegmentationActor(SegmentationSettings settings, bool publishToCluster)
    {
        _settings = settings;
        _publishToCluster = publishToCluster;
        _trainer = new SegmentTrainer(settings.Clusters);
    }

    public static Props Props(SegmentationSettings settings, bool publishToCluster = true) =>
        Akka.Actor.Props.Create(() => new SegmentationActor(settings, publishToCluster));

    public override string PersistenceId => "segmentation";

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SegmentModel model:
                _serving = model;
                break;
            case RecoveryCompleted:
                Publish();
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case SegmentSamples samples:
                foreach (var sample in samples.Samples)
                    Add(sample);
                _newSinceTraining += samples.Samples.Length;
                if (_sample.Count >= Math.Max(_settings.MinSamples, _settings.Clusters)
                    && (_serving is null || _newSinceTraining >= _settings.RetrainEvery))
                    Train();
                break;
            case GetSegments:
                Sender.Tell(new SegmentsServed(_serving, _sample.Count));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Add(SegmentSample sample)
    {
        if (_sample.ContainsKey(sample.UserId))
        {
            _sample[sample.UserId] = sample.Vector; // the user's latest vector
            return;
        }
        if (_sample.Count >= _settings.SampleUsers)
        {
            var slot = _random.Next(_sampledUsers.Count);
            _sample.Remove(_sampledUsers[slot]);
            _sampledUsers[slot] = sample.UserId;
        }
        else
            _sampledUsers.Add(sample.UserId);
        _sample[sample.UserId] = sample.Vector;
    }

    private void Train()
    {
        _newSinceTraining = 0;
        var model = _trainer.Train([.. _sample.Values], _serving, DateTimeOffset.UtcNow);
        Persist(model, trained =>
        {
            _serving = trained;
            _log.Info("Segmentation v{0} on {1} users: {2}", trained.Version, trained.TrainedOn,
                string.Join("; ", trained.Segments.Select(s => $"{s.Id} {s.Name} ({s.Share:P0})")));
            Publish();
        });
    }

    private void Publish()
    {
        if (_publishToCluster)
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topic, new SegmentsServed(_serving, _sample.Count)));
    }
}

/// <summary>Hands a node's sampled segment vectors to the segmentation singleton through its proxy.</summary>
public sealed class SegmentSampleSink(IActorRef segmentation) : Streams.ISegmentSampleSink
{
    public void Publish(IReadOnlyList<(string UserId, double[] Vector)> samples) =>
        segmentation.Tell(new SegmentSamples([.. samples.Select(s => new SegmentSample(s.UserId, s.Vector))]));
}
