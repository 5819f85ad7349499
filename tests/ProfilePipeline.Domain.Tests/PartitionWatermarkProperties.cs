using CsCheck;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Tests;

/// <summary>The event-time watermark of a stream read from several partitions, against a model of it.</summary>
public sealed class PartitionWatermarkProperties
{
    private const long Lateness = 5;
    private const long IdleAfter = 100;

    [Fact]
    public void Read_from_one_partition_it_is_the_newest_event_time_minus_the_lateness()
    {
        Gen.Long[0, 1_000].Array[1, 200].Sample(times =>
        {
            var watermarks = new PartitionWatermarks(Lateness, IdleAfter);
            var newest = long.MinValue;
            foreach (var time in times)
            {
                newest = Math.Max(newest, time);
                watermarks.Observe("p", time, now: 0);
                Assert.Equal(newest - Lateness, watermarks.Current);
            }
        });
    }

    [Fact]
    public void Read_from_several_it_is_the_oldest_partitions_newest_time_minus_the_lateness()
    {
        // Events of three partitions, each with a processing time; a partition is idle when it had no record for IdleAfter.
        // Some steps assign a partition instead (it holds the watermark until read), or find an assigned one empty.
        // Its name comes as one shared string or as a copy of it (a stage keeps the partition seen last by reference).
        var events = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Gen.Long[0, 1_000], Gen.Long[0, 30], Gen.Bool).Array[1, 200];
        string[] names = ["p0", "p1", "p2"];
        events.Sample(stream =>
        {
            var watermarks = new PartitionWatermarks(Lateness, IdleAfter);
            var newest = new Dictionary<string, (long Time, long SeenAt)>(); // long.MinValue: assigned, not read yet
            var now = 0L;
            var model = long.MinValue;
            foreach (var (step, p, time, elapsed, shared) in stream)
            {
                now += elapsed;
                var partition = shared ? names[p] : new string(names[p].AsSpan());
                var before = newest.TryGetValue(partition, out var seen) ? seen : ((long Time, long SeenAt)?)null;
                if (step == 4)
                {
                    watermarks.Expect(partition, now);
                    newest.TryAdd(partition, (long.MinValue, now));
                }
                else if (step == 5)
                {
                    watermarks.NothingToRead(partition);
                    if (before is { Time: long.MinValue })
                        newest.Remove(partition);
                }
                else
                {
                    newest[partition] = (Math.Max(before?.Time ?? long.MinValue, time), now);
                    var moved = watermarks.Observe(partition, time, now);

                    // The model: recomputed whenever the partition's time grew, or it came back from idleness, or it is new.
                    if (before is not { } b || time > b.Time || now - b.SeenAt > IdleAfter)
                    {
                        var active = newest.Values.Where(n => now - n.SeenAt <= IdleAfter).Select(n => n.Time).ToList();
                        var candidate = active.Contains(long.MinValue) ? long.MinValue // an assigned partition not read yet holds it
                            : (active.Count > 0 ? active.Min() : newest.Values.Max(n => n.Time)) - Lateness;
                        Assert.Equal(candidate > model, moved);
                        if (candidate != long.MinValue)
                            model = candidate; // back too, when a partition behind it joins
                    }
                    else
                        Assert.False(moved);
                }
                Assert.Equal(model, watermarks.Current);
            }
        });
    }

    [Fact]
    public void An_assigned_partition_holds_the_watermark_until_its_first_record_unless_it_has_nothing_to_read_or_goes_idle()
    {
        var watermarks = new PartitionWatermarks(Lateness, IdleAfter);
        watermarks.Expect("a", now: 0);
        watermarks.Expect("b", now: 0);
        watermarks.Expect("empty", now: 0);
        watermarks.Observe("a", 1_000, now: 1); // a consumer hands a fetch's worth of one partition on before the others'
        Assert.Equal(long.MinValue, watermarks.Current);
        watermarks.NothingToRead("empty");
        watermarks.Observe("a", 2_000, now: 2);
        Assert.Equal(long.MinValue, watermarks.Current); // b is still to come

        watermarks.Observe("b", 100, now: 3);
        Assert.Equal(100 - Lateness, watermarks.Current);
        watermarks.NothingToRead("b"); // read already: it goes on holding
        watermarks.Expect("b", now: 4);  // so does assigning it again
        watermarks.Observe("a", 3_000, now: 5);
        Assert.Equal(100 - Lateness, watermarks.Current);

        watermarks.Expect("late", now: 10); // assigned in a rebalance: holds the watermark where it is until read
        watermarks.Observe("b", 500, now: 50);
        Assert.Equal(100 - Lateness, watermarks.Current);
        watermarks.Observe("a", 3_500, now: 111); // late sent nothing for longer than IdleAfter: idle
        Assert.Equal(500 - Lateness, watermarks.Current);
    }

    [Fact]
    public void A_lagging_partition_holds_the_watermark_until_it_goes_quiet_or_is_given_up()
    {
        var watermarks = new PartitionWatermarks(Lateness, IdleAfter);
        watermarks.Observe("slow", 100, now: 0);
        watermarks.Observe("fast", 1_000, now: 0);
        watermarks.Observe("fast", 2_000, now: 50);
        Assert.Equal(100 - Lateness, watermarks.Current); // the slow partition's events are not late

        watermarks.Observe("fast", 3_000, now: 151); // the slow one had no record for longer than IdleAfter
        Assert.Equal(3_000 - Lateness, watermarks.Current);
        watermarks.Observe("slow", 200, now: 160); // back, behind: it holds again, and its events are not late
        Assert.Equal(200 - Lateness, watermarks.Current);
        watermarks.Observe("fast", 3_500, now: 170);
        Assert.Equal(200 - Lateness, watermarks.Current);

        watermarks.Forget("slow"); // given up in a rebalance
        watermarks.Observe("fast", 4_000, now: 180);
        Assert.Equal(4_000 - Lateness, watermarks.Current);
    }

    [Fact]
    public void A_partition_given_up_and_read_again_holds_the_watermark_again()
    {
        var watermarks = new PartitionWatermarks(Lateness, IdleAfter);
        watermarks.Observe("fast", 1_000, now: 0);
        watermarks.Observe("slow", 100, now: 0);
        watermarks.Forget("slow"); // the partition seen last

        watermarks.Observe("slow", 150, now: 1); // back on this node at once: counted again, so it holds
        watermarks.Observe("fast", 3_000, now: 2);
        Assert.Equal(150 - Lateness, watermarks.Current);
    }
}
