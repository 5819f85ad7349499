using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence;
using ProfilePipeline.Domain.Scoring;
using ProfilePipeline.Entities;
using ProfilePipeline.Entities.Storage;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>How far a rebuild has got; <see cref="State"/> is running, completed, cancelled or failed.</summary>
public sealed record RebuildProgress(
    string State,
    DateTimeOffset From,
    DateTimeOffset To,
    long Total,
    long Done,
    long Rebuilt,
    long Changed,
    long OutOfRange,
    long Failed,
    long Published,
    double ElapsedSeconds,
    bool PausedIngestion,
    IReadOnlyList<string> Errors);

/// <summary>
/// Rebuilds profiles from the journal (`profilectl replay`): every user whose journal holds an event with an event time
/// in the range is folded afresh by its entity with the current settings, scored with the serving model, and published
/// again to the run's outputs. One rebuild at a time per node.
/// </summary>
/// <remarks>
/// Ingestion on this node is paused for the rebuild and the records already inside are let through first, so that no
/// live update of a user is published before the rebuilt profile it follows. Other nodes of a cluster must be paused
/// by the operator (<see cref="StartAsync"/> refuses otherwise).
/// </remarks>
public sealed class ProfileRebuilds(ClusterNode node, ProfileGraphParts parts)
{
    private const string PersistenceIdPrefix = "profile-";
    private const int PageSize = 500;
    private const int Parallelism = 8;
    private const int ErrorsKept = 5;
    private static readonly TimeSpan EntityTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan InFlightWait = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private Job? _job;
    private volatile IProfileRepublisher? _outputs;

    /// <summary>Set by the run once its outputs are open; a rebuild is refused until then.</summary>
    public IProfileRepublisher? Outputs
    {
        get => _outputs;
        set => _outputs = value;
    }

    /// <summary>The running or last rebuild; null if none was started.</summary>
    public RebuildProgress? Current
    {
        get
        {
            lock (_lock)
                return _job?.Progress();
        }
    }

    /// <summary>Starts a rebuild of the users with events in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    /// <param name="othersPaused">The operator confirms that the pipeline is paused on every other member of the cluster.</param>
    /// <exception cref="InvalidOperationException">A rebuild runs already, the outputs are not open, or other members were not confirmed paused.</exception>
    public RebuildProgress Start(DateTimeOffset from, DateTimeOffset to, bool othersPaused)
    {
        if (to < from)
            throw new ArgumentException($"--to {to:O} is before --from {from:O}");
        var outputs = _outputs ?? throw new InvalidOperationException("the node's outputs are not open yet (or the run is ending): try again while it runs");
        var members = Cluster.Get(node.System).State.Members.Count(m => m.Status == MemberStatus.Up);
        if (members > 1 && !othersPaused)
            throw new InvalidOperationException($"the cluster has {members} members and this node pauses only its own ingestion: pause the pipeline on "
                + "every other node (profilectl --node <admin address> pipeline pause), then replay with --others-paused");
        lock (_lock)
        {
            if (_job is { IsRunning: true })
                throw new InvalidOperationException("a rebuild is already running: watch it with `profilectl replay status`, or cancel it");
            var job = _job = new Job(from, to);
            _ = Task.Run(() => RunAsync(job, outputs)); // RunAsync records every outcome, failures included, in the job
            return job.Progress();
        }
    }

    /// <summary>Cancels the running rebuild; profiles rebuilt so far stay rebuilt and published.</summary>
    public RebuildProgress? Cancel()
    {
        lock (_lock)
        {
            _job?.Cancellation.Cancel();
            return _job?.Progress();
        }
    }

    private async Task RunAsync(Job job, IProfileRepublisher outputs)
    {
        var pausedHere = !parts.Gate.IsPaused;
        job.PausedIngestion = pausedHere;
        parts.Gate.Pause();
        try
        {
            await LetInFlightThroughAsync(job.Cancellation.Token).ConfigureAwait(false);
            var journal = Persistence.Instance.Apply(node.System).JournalFor(null);
            var from = job.From.ToUnixTimeMilliseconds();
            var to = job.To.ToUnixTimeMilliseconds();
            await foreach (var page in JournalReads.ListAsync(journal, PersistenceIdPrefix, PageSize, TimeSpan.FromSeconds(30))
                               .WithCancellation(job.Cancellation.Token).ConfigureAwait(false))
            {
                if (page.Total >= 0)
                    Interlocked.Exchange(ref job.Total, page.Total);
                var rebuilt = new ConcurrentBag<ScoredProfile>();
                await Parallel.ForEachAsync(page.Ids, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = job.Cancellation.Token },
                    async (persistenceId, cancel) =>
                    {
                        var userId = persistenceId[PersistenceIdPrefix.Length..];
                        try
                        {
                            var reply = await node.Profiles.Ask<ProfileRebuilt>(new RebuildProfile(userId, from, to), EntityTimeout, cancel).ConfigureAwait(false);
                            if (!reply.InRange)
                                Interlocked.Increment(ref job.OutOfRange);
                            else
                            {
                                Interlocked.Increment(ref job.Rebuilt);
                                if (reply.Changed)
                                    Interlocked.Increment(ref job.Changed);
                                if (reply.Features is { } features)
                                    rebuilt.Add(parts.Scorer.Score(features, parts.SideData.Users.Find(userId), parts.Models.Current));
                            }
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            Interlocked.Increment(ref job.Failed);
                            job.AddError($"{userId}: {e.Message}");
                        }
                        Interlocked.Increment(ref job.Done);
                    }).ConfigureAwait(false);
                if (!rebuilt.IsEmpty)
                    Interlocked.Add(ref job.Published, await outputs.RepublishAsync([.. rebuilt], job.Cancellation.Token).ConfigureAwait(false));
            }
            job.Finish(job.Failed == 0 ? "completed" : "failed");
        }
        catch (OperationCanceledException)
        {
            job.Finish("cancelled");
        }
        catch (Exception e)
        {
            job.AddError(e.Message);
            job.Finish("failed");
        }
        finally
        {
            if (pausedHere)
                parts.Gate.Resume();
        }
    }

    /// <summary>Waits until every record read before the pause is published, so that none follows a rebuilt profile.</summary>
    private async Task LetInFlightThroughAsync(CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (parts.Metrics.Completed < parts.Metrics.Read)
        {
            if (waited.Elapsed > InFlightWait)
                throw new TimeoutException($"records read before the pause were still not published after {InFlightWait.TotalSeconds:0} s");
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Job(DateTimeOffset from, DateTimeOffset to)
    {
        private readonly Stopwatch _elapsed = Stopwatch.StartNew();
        private readonly ConcurrentQueue<string> _errors = new();
        private volatile string _state = "running";
        public long Total;
        public long Done;
        public long Rebuilt;
        public long Changed;
        public long OutOfRange;
        public long Failed;
        public long Published;

        public DateTimeOffset From { get; } = from;
        public DateTimeOffset To { get; } = to;
        public CancellationTokenSource Cancellation { get; } = new();
        public bool PausedIngestion { get; set; }
        public bool IsRunning => _state == "running";

        public void AddError(string error)
        {
            if (_errors.Count < ErrorsKept)
                _errors.Enqueue(error);
        }

        public void Finish(string state)
        {
            _elapsed.Stop();
            _state = state;
        }

        public RebuildProgress Progress() => new(_state, From, To, Interlocked.Read(ref Total), Interlocked.Read(ref Done), Interlocked.Read(ref Rebuilt),
            Interlocked.Read(ref Changed), Interlocked.Read(ref OutOfRange), Interlocked.Read(ref Failed), Interlocked.Read(ref Published),
            Math.Round(_elapsed.Elapsed.TotalSeconds, 1), PausedIngestion, [.. _errors]);
    }
}
