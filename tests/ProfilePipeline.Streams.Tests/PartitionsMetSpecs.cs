using ProfilePipeline.Domain.Events;
using ProfilePipeline.Kafka;

namespace ProfilePipeline.Streams.Tests;

/// <summary>The partitions a stage has met: each once, with where the run reads it from, and anew after the input gave it up.</summary>
public sealed class PartitionsMetSpecs
{
    private static PipelineItem Item(string partition, long offset) => new(new SourcePosition(partition, offset), 0);

    [Fact]
    public void Each_partition_is_new_once_with_the_offset_of_its_first_record()
    {
        var met = new PartitionsMet();
        var a = PartitionAssignments.InputName("events", 0);
        var b = PartitionAssignments.InputName("events", 1);

        Assert.Equal([(a, 7L), (b, 3L)], met.TakeNew([Item(a, 7), Item(a, 8), Item(b, 3), Item(a, 9)]));
        // The same names as other strings (a record read apart from the others) are still met.
        Assert.Empty(met.TakeNew([Item(new string(a.AsSpan()), 10), Item(new string(b.AsSpan()), 4)]));
    }

    [Fact]
    public void A_partition_given_up_is_met_anew_when_it_comes_back_even_as_the_last_one_seen()
    {
        var assignments = new PartitionAssignments();
        var met = new PartitionsMet(assignments);
        var state = new RecordedChanges();
        var a = PartitionAssignments.InputName("events", 0);
        var b = PartitionAssignments.InputName("events", 1);
        assignments.Add(PartitionChangeKind.Assigned, [a, b]);
        Assert.Equal(0, met.ApplyChanges(state, now: 5));
        Assert.Equal([$"expect {a} at 5", $"expect {b} at 5"], state.Seen);
        Assert.Equal([(a, 1L)], met.TakeNew([Item(a, 1)]));

        assignments.Add(PartitionChangeKind.NothingToRead, [b]);
        assignments.Add(PartitionChangeKind.Revoked, [a]);
        Assert.Equal(RecordedChanges.Kept, met.ApplyChanges(state, now: 6));
        Assert.Equal([$"expect {a} at 5", $"expect {b} at 5", $"nothing to read in {b}", $"forget {a}"], state.Seen);
        Assert.Equal(0, met.ApplyChanges(state, now: 7)); // each change once

        // b, found with nothing to read, is met as read from its end; a, given up, is met anew at its first record.
        Assert.Equal([(b, PartitionsMet.AtItsEnd), (a, 40L)], met.TakeNew([Item(a, 40), Item(a, 41)]));
    }

    [Fact]
    public void A_partition_found_with_nothing_to_read_is_new_once_without_a_record_of_it_unless_given_up_first()
    {
        var assignments = new PartitionAssignments();
        var met = new PartitionsMet(assignments);
        var state = new RecordedChanges();
        var a = PartitionAssignments.InputName("events", 0);
        var b = PartitionAssignments.InputName("events", 1);
        var c = PartitionAssignments.InputName("events", 2);
        assignments.Add(PartitionChangeKind.Assigned, [a, b, c]);
        assignments.Add(PartitionChangeKind.NothingToRead, [b, c]);
        assignments.Add(PartitionChangeKind.Revoked, [c]);
        met.ApplyChanges(state, now: 1);

        // Taken over at its end, b is met before any record of it (there may be none for long); c was given up meanwhile.
        Assert.Equal([(b, PartitionsMet.AtItsEnd), (a, 3L)], met.TakeNew([Item(a, 3)]));
        Assert.Empty(met.TakeNew([Item(a, 4)]));
        // A record of b written since is not the start of a partition met already.
        Assert.Empty(met.TakeNew([Item(b, 12)]));
    }

    /// <summary>A stage's partitioned state that records what it is told.</summary>
    private sealed class RecordedChanges : IPartitionedState
    {
        public const int Kept = 3;

        public List<string> Seen { get; } = [];

        public void Expect(string partition, long now) => Seen.Add($"expect {partition} at {now}");

        public void NothingToRead(string partition) => Seen.Add($"nothing to read in {partition}");

        public int Forget(string partition)
        {
            Seen.Add($"forget {partition}");
            return Kept;
        }
    }
}
