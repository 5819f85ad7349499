using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Learning;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Entities;

namespace ProfilePipeline.Streams;

/// <param name="AskAttempts">How many times an entity is asked before the stream fails (a timeout asks again).</param>
public sealed record ProfileUpdateSettings(int MaxBatch, TimeSpan MaxBatchDelay, int Parallelism, TimeSpan AskTimeout, int AskAttempts = 1);

/// <summary>
/// Sends events to their users' entities in micro-batches: records close together are grouped, each user's
/// events of a group travel in one message and are persisted as one journal entry, and up to
/// <see cref="ProfileUpdateSettings.Parallelism"/> groups are in flight. Output order is input order.
/// </summary>
public static class ProfileUpdateStage
{
    /// <summary>The records in the micro-batches they were sent in, in input order (the label stage follows them batch by batch).</summary>
    public static Flow<PipelineItem, IReadOnlyList<PipelineItem>, NotUsed> Create(IActorRef shardRegion, ProfileUpdateSettings settings, PipelineMetrics? metrics = null)
    {
        var inOrder = new PerUserOrder();
        return Flow.Create<PipelineItem>()
            .GroupedWithin(settings.MaxBatch, settings.MaxBatchDelay)
            .SelectAsync(settings.Parallelism, batch => UpdateAsync(shardRegion, batch.ToList(), settings, metrics, inOrder));
    }

    /// <summary>
    /// A user's batches reach the entity in source order even when one is asked again: the entity treats an offset at
    /// or below its mark as a redelivery, so a later batch that overtook a lost earlier one (its node died; the retry
    /// went to the entity's new home after the later batch did) would make the earlier events look delivered. Each
    /// user's next batch is sent once the previous one is answered. Normally they are in flight together only for the
    /// few users in more than one of the batches in flight.
    /// </summary>
    private sealed class PerUserOrder
    {
        private readonly Dictionary<string, Task> _last = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        /// <summary>Called on the stream's thread, batch by batch, so a user's asks are chained in source order.</summary>
        public Task<BehaviorsAcknowledged> Send(string userId, Func<Task<BehaviorsAcknowledged>> ask)
        {
            Task? previous;
            Task<BehaviorsAcknowledged> sent;
            lock (_lock)
            {
                previous = _last.GetValueOrDefault(userId);
                sent = previous is null || previous.IsCompleted ? ask() : AfterAsync(previous, ask);
                _last[userId] = sent;
            }
            _ = sent.ContinueWith(done =>
            {
                lock (_lock)
                {
                    if (_last.TryGetValue(userId, out var last) && last == done)
                        _last.Remove(userId);
                }
            }, TaskScheduler.Default);
            return sent;
        }

        private static async Task<BehaviorsAcknowledged> AfterAsync(Task previous, Func<Task<BehaviorsAcknowledged>> ask)
        {
            try
            {
                await previous.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The earlier batch failed after every attempt: its own task fails the stream; this one need not wait longer.
            }
            return await ask().ConfigureAwait(false);
        }
    }

    private static async Task<IReadOnlyList<PipelineItem>> UpdateAsync(IActorRef region, List<PipelineItem> batch, ProfileUpdateSettings settings,
        PipelineMetrics? metrics, PerUserOrder inOrder)
    {
        var byUser = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Event is not { } e)
                continue;
            if (!byUser.TryGetValue(e.UserId, out var indices))
                byUser[e.UserId] = indices = [];
            indices.Add(i);
        }
        if (byUser.Count == 0)
            return batch;

        var asks = byUser.Select(kv =>
        {
            var record = new RecordBehaviors(kv.Key, [.. kv.Value.Select(i => batch[i].Event!)]);
            return (Indices: kv.Value, Reply: inOrder.Send(kv.Key, () => AskAsync(region, record, settings, metrics)));
        }).ToList();
        await Task.WhenAll(asks.Select(a => a.Reply)).ConfigureAwait(false);

        foreach (var (indices, reply) in asks)
        {
            var ack = await reply.ConfigureAwait(false);
            // One profile update per user and batch, on the last event taken; a redelivery republishes the current profile
            // (at-least-once output).
            var last = -1;
            for (var j = 0; j < indices.Count; j++)
            {
                if (ack.Outcomes[j] is EventOutcome.Applied or EventOutcome.Redelivered)
                    last = indices[j];
            }
            // A redelivered event's point comes back too: the label stage may have lost it to a crash (it knows it if not).
            var points = ack.DecisionPoints;
            var pointsGiven = points.Length > 0 ? new bool[points.Length] : null;
            for (var j = 0; j < indices.Count; j++)
            {
                var i = indices[j];
                var item = batch[i];
                var outcome = ack.Outcomes[j];
                var taken = outcome is EventOutcome.Applied or EventOutcome.Redelivered;
                batch[i] = item with // one copy of the record for all it learns here
                {
                    Outcome = outcome,
                    DeadLetter = outcome == EventOutcome.Late ? LateLetter(item, ack.Features) : item.DeadLetter,
                    Features = i == last ? ack.Features : item.Features,
                    DecisionPoint = taken && TakePoint(points, pointsGiven, item.Event!.EventId) is { } point ? point : item.DecisionPoint,
                };
            }
        }
        return batch;
    }

    /// <summary>The point taken at the event and not given to a record yet (each goes to one record only); null if none.</summary>
    private static DecisionPoint? TakePoint(ImmutableArray<DecisionPoint> points, bool[]? given, string eventId)
    {
        for (var k = 0; k < points.Length; k++)
        {
            if (!given![k] && points[k].EventId == eventId)
            {
                given[k] = true;
                return points[k];
            }
        }
        return null;
    }

    /// <summary>
    /// Asks the user's entity, again after each timeout: a message to an entity on a node that just died is lost, and
    /// sharding delivers the next one to the entity's new home. The entity dedups what it already applied, so a batch
    /// whose first reply was lost comes back as redelivered.
    /// </summary>
    private static async Task<BehaviorsAcknowledged> AskAsync(IActorRef region, RecordBehaviors record, ProfileUpdateSettings settings,
        PipelineMetrics? metrics)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var ack = await region.Ask<BehaviorsAcknowledged>(record, settings.AskTimeout).ConfigureAwait(false);
                metrics?.EntityUpdates.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                return ack;
            }
            catch (AskTimeoutException) when (attempt < settings.AskAttempts)
            {
            }
        }
    }

    private static DeadLetter LateLetter(PipelineItem item, ProfileFeatures features) => LateLetter(item.Event!, item.Raw?.Payload ?? "", features);

    private static DeadLetter LateLetter(BehaviorEvent e, string payload, ProfileFeatures features) => new(
        e.Position,
        DeadLetterReasons.Late,
        $"event time {DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp):O} is older than the user's newest event "
        + $"{DateTimeOffset.FromUnixTimeMilliseconds(features.AsOf):O} minus the allowed lateness",
        payload) { UserId = e.UserId };
}
