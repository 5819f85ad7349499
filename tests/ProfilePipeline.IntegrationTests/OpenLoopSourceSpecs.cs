using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Node.Bench;
using ProfilePipeline.Streams;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The bench's open-loop source: records are stamped with when they were due, whatever the consumer does.</summary>
public sealed class OpenLoopSourceSpecs
{
    [Fact]
    public async Task An_open_loop_source_stamps_records_with_their_due_time_even_when_the_consumer_is_slow()
    {
        var system = ActorSystem.Create("open-loop", "akka.loglevel = WARNING");
        try
        {
            var records = Enumerable.Range(0, 2000).Select(i => new RawBehavior(new SourcePosition("s", i), "{}", System.Collections.Immutable.ImmutableDictionary<string, string>.Empty)).ToList();
            const int rate = 4000;
            var source = BenchPipeline.OpenLoop(rate, TimeSpan.Zero)(records, new PipelineMetrics());
            // A consumer far slower than the offered rate for the first records: the stamps must not drift with it.
            var items = await source.SelectAsync(1, async item =>
            {
                if (item.Position.Offset < 20)
                    await Task.Delay(10);
                return item;
            }).RunWith(Sink.Seq<PipelineItem>(), system.Materializer());

            Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), items.Select(i => i.Position.Offset));
            var start = items[0].EnteredAtTicks;
            for (var i = 0; i < items.Count; i++)
            {
                var expected = start + (long)(i * (double)Stopwatch.Frequency / rate);
                Assert.InRange(items[i].EnteredAtTicks, expected - 1, expected + 1);
            }
        }
        finally
        {
            await system.Terminate();
        }
    }
}
