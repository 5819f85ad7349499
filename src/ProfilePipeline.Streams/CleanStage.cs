using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Streams;

/// <summary>
/// Validates and pseudonymises records, and drops an event id seen among the last <c>recentIds</c> accepted
/// ones (a cheap first line of dedup; the user entity is the authority). Refusals become dead letters.
/// </summary>
public static class CleanStage
{
    public static Flow<PipelineItem, PipelineItem, NotUsed> Create(BehaviorCleaner cleaner, PipelineMetrics metrics, int recentIds) =>
        Flow.Create<PipelineItem>().StatefulSelectMany<PipelineItem, PipelineItem, PipelineItem, NotUsed>(() =>
        {
            var seen = new RecentSet(recentIds);
            return item =>
            {
                metrics.RecordRead();
                var result = cleaner.Clean(item.Raw!);
                if (result.Event is not { } e)
                    return [item with { DeadLetter = result.DeadLetter }];
                if (!seen.Add(e.EventId))
                    return [item with { DroppedAsDuplicate = true }];
                return [item with { Event = e }];
            };
        });

    /// <summary>A set that forgets its oldest member once full.</summary>
    private sealed class RecentSet(int capacity)
    {
        private readonly HashSet<string> _members = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public bool Add(string id)
        {
            if (capacity <= 0)
                return true;
            if (!_members.Add(id))
                return false;
            _order.Enqueue(id);
            if (_order.Count > capacity)
                _members.Remove(_order.Dequeue());
            return true;
        }
    }
}
