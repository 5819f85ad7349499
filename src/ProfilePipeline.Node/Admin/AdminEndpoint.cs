using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Node.Learning;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities;
using ProfilePipeline.Entities.Storage;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Admin;

/// <summary>
/// The node's admin endpoint: JSON (and Prometheus text on <c>/metrics</c>) over HTTP, every request authenticated
/// with the bearer token. Routes: <c>GET /metrics</c>, <c>GET /pipeline/stats</c>, <c>GET /profiles/{userId}</c>
/// (the id as the shop knows it; <c>?pseudonymized=true</c> for an id as it appears in the outputs), <c>GET /profiles/{userId}/history</c>
/// (the user's journal), <c>DELETE /profiles/{userId}</c> (erase the user: journal, snapshots and outputs), <c>POST|GET|DELETE /replay</c>
/// (rebuild profiles from the journal: start, progress, cancel), <c>GET /cluster</c>
/// (members and their status), <c>GET /sharding/stats</c> (shards and entities per node), and <c>POST /pipeline/pause</c>
/// and <c>POST /pipeline/resume</c>.
/// </summary>
public sealed class AdminEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminEndpoint(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<AdminEndpoint> StartAsync(AdminSettings settings, PipelineMetrics metrics, PipelineGate gate, ClusterNode node,
        Pseudonymizer pseudonymizer, ProfileEraser eraser, ProfileRebuilds rebuilds, string dataDirectory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{settings.Host}:{settings.Port}");
        var app = builder.Build();
        var expected = Encoding.UTF8.GetBytes("Bearer " + settings.Token);
        app.Use(async (context, next) =>
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(new { error = "missing or wrong bearer token" }).ConfigureAwait(false);
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                // The operator sees what failed (an entity that timed out, a storage error) instead of a bare 500.
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsJsonAsync(new { error = $"{e.GetType().Name}: {e.Message}" }).ConfigureAwait(false);
            }
        });
        app.MapGet("/metrics", async () =>
        {
            LearnerStatus? learner = null;
            if (node.Learner is { } proxy)
            {
                try
                {
                    learner = await proxy.Ask<LearnerStatus>(GetLearnerStatus.Instance, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    // The learner singleton is moving or busy: the scrape goes on without its figures.
                }
            }
            IReadOnlyDictionary<string, int>? entities = null;
            try
            {
                var stats = await node.Profiles.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(3))
                    .ConfigureAwait(false);
                entities = stats.Regions.ToDictionary(r => r.Key.ToString(), r => r.Value.Stats.Values.Sum());
            }
            catch (AskTimeoutException)
            {
                // A region that does not answer in time: the scrape goes on without entity counts.
            }
            return Results.Text(PrometheusText.Write(metrics, node.Models.Current.Version, learner, entities), PrometheusText.ContentType);
        });
        var rates = new StageRates(metrics);
        app.Lifetime.ApplicationStopping.Register(rates.Dispose);
        app.MapGet("/pipeline/stats", () => Results.Json(new
        {
            stages = Stages(metrics, rates),
            slowestStage = SlowestStage(metrics),
            read = metrics.Read,
            completed = metrics.Completed,
            applied = metrics.Applied,
            duplicates = metrics.Duplicates,
            redelivered = metrics.Redelivered,
            refusedAsErased = metrics.RefusedAsErased,
            decisionPoints = metrics.DecisionPoints,
            labelsReleased = metrics.LabelsReleased,
            positiveLabels = metrics.PositiveLabels,
            openDecisionPoints = metrics.OpenDecisionPoints,
            decisionPointsRestored = metrics.DecisionPointsRestored,
            decisionPointsHandedOver = metrics.DecisionPointsHandedOver,
            decisionPointsUnlabelled = metrics.DecisionPointsUnlabelled,
            decisionPointsIndexed = metrics.DecisionPointsIndexed,
            labelWrites = metrics.LabelWrites,
            deadLetters = metrics.DeadLetters,
            deadLettersByReason = metrics.DeadLettersByReason.ToDictionary(),
            profilesWritten = metrics.ProfilesWritten,
            users = metrics.Users,
            latencyMs = new { p50 = metrics.Latency.Quantile(0.5).TotalMilliseconds, p99 = metrics.Latency.Quantile(0.99).TotalMilliseconds },
            entityUpdateMs = new { p50 = metrics.EntityUpdates.Quantile(0.5).TotalMilliseconds, p99 = metrics.EntityUpdates.Quantile(0.99).TotalMilliseconds },
            usersFoundInactive = metrics.UsersFoundInactive,
            inactivityNotConfirmed = metrics.InactivityNotConfirmed,
            inactivityTimers = metrics.InactivityTimers,
            inactivityTimersRestored = metrics.InactivityTimersRestored,
            decisionsRepublished = metrics.DecisionsRepublished,
            stageAsksRetried = metrics.StageAsksRetried,
            actions = metrics.ActionsByName.ToDictionary(),
            actionsCapped = metrics.ActionsCapped,
            paused = gate.IsPaused,
            consumerLag = metrics.ConsumerLag?.Invoke(),
        }));
        app.MapPost("/pipeline/pause", () =>
        {
            gate.Pause();
            return Results.Json(new { paused = true });
        });
        app.MapPost("/pipeline/resume", () =>
        {
            gate.Resume();
            return Results.Json(new { paused = false });
        });
        app.MapGet("/profiles/{userId}", async (string userId, bool? pseudonymized) =>
        {
            var id = pseudonymized == true ? userId : pseudonymizer.Pseudonymize(userId);
            var reply = await node.Profiles.Ask<ProfileReply>(new GetProfile(id), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return reply.Features is null
                ? Results.NotFound(new { error = $"no profile for user {userId}" })
                : Results.Json(new { userId = id, features = reply.Features });
        });
        app.MapGet("/profiles/{userId}/explain", async (string userId, bool? pseudonymized) =>
        {
            var id = pseudonymized == true ? userId : pseudonymizer.Pseudonymize(userId);
            var reply = await node.Profiles.Ask<ProfileReply>(new GetProfile(id), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            if (reply.Features is null)
                return Results.NotFound(new { error = $"no profile for user {userId}" });
            var model = node.Models.Current;
            var vector = PropensityFeatures.Vector(reply.Features);
            var contributions = model.Explain(vector);
            return Results.Json(new
            {
                userId = id,
                model = model.Version,
                score = model.ScoreVector(vector),
                logit = model.Bias + contributions.Sum(c => c.Contribution),
                bias = model.Bias,
                contributions = contributions.Select(c => new
                {
                    feature = c.Feature, value = c.Value, standardized = c.Standardized, weight = c.Weight, contribution = c.Contribution,
                }),
            });
        });
        app.MapGet("/profiles/{userId}/history", async (string userId, bool? pseudonymized, int? last) =>
        {
            var id = pseudonymized == true ? userId : pseudonymizer.Pseudonymize(userId);
            var journal = Akka.Persistence.Persistence.Instance.Apply(node.System).JournalFor(null);
            var range = await JournalReads.ReadLastAsync(node.System, journal, "profile-" + id, Math.Clamp(last ?? 20, 1, 10_000), TimeSpan.FromSeconds(30))
                .ConfigureAwait(false);
            if (range.HighestSequenceNr == 0)
                return Results.NotFound(new { error = $"no history for user {userId}: never seen, or erased" });
            return Results.Json(new
            {
                userId = id,
                journalEntries = range.HighestSequenceNr,
                entries = range.Entries.Select(entry => new
                {
                    sequenceNr = entry.SequenceNr,
                    written = entry.Written.Ticks == 0 ? null : entry.Written.ToString("O"),
                    events = entry.Payload is BehaviorsRecorded recorded
                        ? recorded.Events.Select(e => new
                        {
                            eventId = e.EventId, type = e.Type.WireName(), time = Iso(e.Timestamp), itemId = e.ItemId, categoryId = e.CategoryId,
                            brand = e.Brand, price = e.Price, quantity = e.Quantity, query = e.Query, sessionId = e.SessionId, device = e.Device,
                        }).ToArray()
                        : [],
                    decision = entry.Payload is Domain.Decisions.LedgerEntry decided
                        ? new { flaggedInactiveVersion = decided.FlaggedVersion, rule = decided.Rule, at = Iso(decided.At) }
                        : null,
                }),
            }, Json);
        });
        app.MapPost("/replay", (string? from, string? to, bool? othersPaused) =>
        {
            try
            {
                var progress = rebuilds.Start(ParseTime(from, "from") ?? DateTimeOffset.UnixEpoch, ParseTime(to, "to") ?? DateTimeOffset.MaxValue,
                    othersPaused == true);
                return Results.Json(progress, Json, statusCode: StatusCodes.Status202Accepted);
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
            catch (InvalidOperationException e)
            {
                return Results.Conflict(new { error = e.Message });
            }
        });
        IResult Replay(RebuildProgress? progress) => progress is null
            ? Results.NotFound(new { error = "no replay has run on this node since it started" })
            : Results.Json(progress, Json);
        app.MapGet("/replay", () => Replay(rebuilds.Current));
        app.MapDelete("/replay", () => Replay(rebuilds.Cancel()));
        app.MapGet("/segments", async () =>
        {
            if (node.Segmentation is not { } segmentation)
                return Results.Json(new { error = "segments are off on this cluster (profile-pipeline.segments.enabled = off)" },
                    statusCode: StatusCodes.Status404NotFound);
            var served = await segmentation.Ask<Segments.SegmentsServed>(Segments.GetSegments.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            if (served.Model is not { } model)
                return Results.Json(new { error = $"no segmentation trained yet: {served.SampledUsers} users sampled so far" },
                    statusCode: StatusCodes.Status404NotFound);
            return Results.Json(new
            {
                version = model.Version,
                trainedOn = model.TrainedOn,
                trainedAt = model.TrainedAt.ToString("O"),
                sampledUsers = served.SampledUsers,
                segments = model.Segments.Select(segment => new
                {
                    id = segment.Id,
                    name = segment.Name,
                    share = Math.Round(segment.Share, 4),
                    // The centroid in the features' own units: counts and money back from log(1 + x).
                    centroid = Domain.Segments.SegmentFeatures.Names.Zip(model.RawCentroid(segment), (name, value) => (name, value))
                        .ToDictionary(c => c.name, c => Math.Round(Math.Exp(c.value) - 1, 2)),
                }),
            }, Json);
        });
        app.MapGet("/model", async () =>
        {
            if (node.Learner is not { } learner)
                return NoLearner(node);
            var status = await learner.Ask<LearnerStatus>(GetLearnerStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return Results.Json(new
            {
                serving = status.Serving,
                servingOnThisNode = node.Models.Current.Version,
                labelsSeen = status.LabelsSeen,
                conflictingLabels = status.ConflictingLabels,
                candidateInShadow = status.CandidateInShadow,
                promoted = status.Promoted,
                rejected = status.Rejected,
                metrics = Metrics(status.Metrics),
                trainedOn = status.ServingVersion is { } v ? new { labels = v.TrainedOn, from = Iso(v.TrainedFrom), to = Iso(v.TrainedTo) } : null,
            }, Json);
        });
        app.MapGet("/model/history", async () =>
        {
            if (node.Learner is not { } learner)
                return NoLearner(node);
            var history = await learner.Ask<ModelHistory>(GetModelHistory.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return Results.Json(new
            {
                promoted = history.Promoted.Select(v => new
                {
                    version = v.Name, shadowAuc = v.ShadowAuc, predecessor = v.Predecessor, predecessorAuc = v.PredecessorAuc,
                    trainedOn = v.TrainedOn, from = Iso(v.TrainedFrom), to = Iso(v.TrainedTo), labelsSeen = v.LabelsSeen,
                }),
                rejected = history.Rejected.Select(r => new { version = $"online-v{r.Number}", r.ShadowAuc, r.Predecessor, r.PredecessorAuc, r.Reason, r.LabelsSeen }),
                rollbacks = history.Rollbacks.Select(r => new { to = $"online-v{r.To}", from = r.From, at = r.At.ToString("O"), r.LabelsSeen }),
            }, Json);
        });
        app.MapPost("/model/rollback/{number:int}", async (int number) =>
        {
            if (node.Learner is not { } learner)
                return NoLearner(node);
            try
            {
                var rollback = await learner.Ask<ModelRollback>(new RollbackModel(number), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                return Results.Json(new { serving = $"online-v{rollback.To}", previous = rollback.From });
            }
            catch (ArgumentException e)
            {
                return Results.NotFound(new { error = e.Message });
            }
        });
        app.MapDelete("/profiles/{userId}", async (string userId, bool? pseudonymized, CancellationToken cancel) =>
        {
            var id = pseudonymized == true ? userId : pseudonymizer.Pseudonymize(userId);
            var report = await eraser.EraseAsync(id, cancel).ConfigureAwait(false);
            return Results.Json(new
            {
                userId = report.UserId,
                erasedAt = DateTimeOffset.FromUnixTimeMilliseconds(report.ErasedAt).ToString("O"),
                eventsErased = report.EventsErased,
                profileRecordsErased = report.Outputs.ProfileRecords,
                deadLettersErased = report.Outputs.DeadLetters,
                actionsErased = report.Outputs.Actions,
                tombstonePublished = report.Outputs.TombstonePublished,
            });
        });
        app.MapGet("/cluster", () =>
        {
            var cluster = Cluster.Get(node.System);
            var state = cluster.State;
            return Results.Json(new
            {
                self = cluster.SelfAddress.ToString(),
                leader = state.Leader?.ToString(),
                members = state.Members.Select(m => new
                {
                    address = m.Address.ToString(),
                    status = m.Status.ToString(),
                    roles = m.Roles.ToArray(),
                    reachable = !state.Unreachable.Contains(m),
                }),
            });
        });
        app.MapPost("/cluster/leave", (string address) => ClusterCommand(node, address, "leave", (cluster, a) => cluster.Leave(a)));
        app.MapPost("/cluster/down", (string address) => ClusterCommand(node, address, "down", (cluster, a) => cluster.Down(a)));
        app.MapPost("/cluster/join", (string seed) =>
        {
            if (!TryParseAddress(seed, out var address))
                return Results.BadRequest(new { error = $"'{seed}' is not an Akka address such as akka.tcp://profile-pipeline@host:4053" });
            Cluster.Get(node.System).Join(address);
            return Results.Json(new { joining = address.ToString(), self = Cluster.Get(node.System).SelfAddress.ToString() });
        });
        app.MapGet("/sharding/regions", async () =>
        {
            var stats = await node.Profiles.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10))
                .ConfigureAwait(false);
            return Results.Json(new
            {
                regions = stats.Regions.Select(r => new
                {
                    address = r.Key.ToString(),
                    shards = r.Value.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new { shard = s.Key, entities = s.Value }),
                }),
            });
        });
        app.MapGet("/sharding/stats", async () =>
        {
            var stats = await node.Profiles.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10))
                .ConfigureAwait(false);
            return Results.Json(new
            {
                regions = stats.Regions.Select(r => new
                {
                    address = r.Key.ToString(),
                    shards = r.Value.Stats.Count,
                    entities = r.Value.Stats.Values.Sum(),
                    failedShards = r.Value.Failed.Count,
                }),
            });
        });
        await app.StartAsync().ConfigureAwait(false);
        var address = new Uri(app.Urls.First());
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, AdminSettings.AddressFileName),
            JsonSerializer.Serialize(new { url = address.ToString(), tokenFile = settings.TokenFile })).ConfigureAwait(false);
        return new AdminEndpoint(app, address);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static IResult NoLearner(ClusterNode node) => Results.Json(new
    {
        error = "no learner runs on this cluster (profile-pipeline.learning.enabled = off)", serving = node.Models.Current.Version,
    }, statusCode: StatusCodes.Status404NotFound);

    /// <summary>Leave or down a member: the address must name a current member of the cluster.</summary>
    private static IResult ClusterCommand(ClusterNode node, string text, string verb, Action<Cluster, Akka.Actor.Address> command)
    {
        if (!TryParseAddress(text, out var address))
            return Results.BadRequest(new { error = $"'{text}' is not an Akka address such as akka.tcp://profile-pipeline@host:4053" });
        var cluster = Cluster.Get(node.System);
        if (!cluster.State.Members.Any(m => m.Address.Equals(address)))
        {
            return Results.NotFound(new
            {
                error = $"{address} is not a member; members: {string.Join(", ", cluster.State.Members.Select(m => m.Address.ToString()))}",
            });
        }
        command(cluster, address);
        return Results.Json(new { member = address.ToString(), requested = verb });
    }

    private static bool TryParseAddress(string text, out Akka.Actor.Address address)
    {
        try
        {
            address = Akka.Actor.Address.Parse(text);
            return address.HasGlobalScope;
        }
        catch (UriFormatException)
        {
            address = Akka.Actor.Address.AllSystems;
            return false;
        }
    }

    /// <summary>Per stage: records that have left it, records inside it now (its buffers' fill), and records per second leaving it.</summary>
    private static object[] Stages(PipelineMetrics metrics, StageRates rates)
    {
        var passed = metrics.StagePassed();
        var inFlight = metrics.StageInFlight();
        var perSecond = rates.PerSecond();
        return [.. PipelineMetrics.Stages.Select((stage, i) => new { stage, passed = passed[i], inFlight = inFlight[i], perSecond = Math.Round(perSecond[i], 1) })];
    }

    /// <summary>
    /// The stage holding the most records, when records are inside at all: in a backpressured graph records wait in front of
    /// and inside the slowest stage, and the stages before it are held back by it.
    /// </summary>
    private static string? SlowestStage(PipelineMetrics metrics)
    {
        var inFlight = metrics.StageInFlight();
        var most = Array.IndexOf(inFlight, inFlight.Max());
        return inFlight[most] > 0 ? PipelineMetrics.Stages[most] : null;
    }

    /// <summary>An ISO-8601 time (UTC unless it says otherwise) or epoch milliseconds; null when not given.</summary>
    private static DateTimeOffset? ParseTime(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var epochMs))
            return DateTimeOffset.FromUnixTimeMilliseconds(epochMs);
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new ArgumentException($"--{name} '{text}' is not a time: give ISO-8601 (2026-11-20T08:00:00Z) or epoch milliseconds");
    }

    private static string Iso(long epochMs) => DateTimeOffset.FromUnixTimeMilliseconds(epochMs).ToString("O");

    private static object Metrics(MetricsSnapshot m) => new
    {
        examples = m.Examples, positives = m.Positives, auc = m.Auc, windowAuc = m.WindowAuc, logLoss = m.LogLoss, threshold = m.Threshold,
        precision = m.Precision, recall = m.Recall, f1 = m.F1,
        calibration = m.Calibration.Select(b => new { from = b.From, to = b.To, examples = b.Examples, meanPredicted = b.MeanPredicted, observed = b.Observed }),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
