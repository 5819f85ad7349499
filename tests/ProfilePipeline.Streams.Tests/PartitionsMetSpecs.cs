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
        var a = PartitionAssignments.InputName("events", 0);
        var b = PartitionAssignments.InputName("events", 1);
        assignments.Add(PartitionChangeKind.Assigned, [a, b]);
        Assert.Equal([new PartitionChange(a, PartitionChangeKind.Assigned), new PartitionChange(b, PartitionChangeKind.Assigned)], met.TakeChanges());
        Assert.Equal([(a, 1L)], met.TakeNew([Item(a, 1)]));

        assignments.Add(PartitionChangeKind.NothingToRead, [b]);
        assignments.Add(PartitionChangeKind.Revoked, [a]);
        Assert.Equal([new PartitionChange(b, PartitionChangeKind.NothingToRead), new PartitionChange(a, PartitionChangeKind.Revoked)], met.TakeChanges());
        Assert.Empty(met.TakeChanges());

        Assert.Equal([(a, 40L)], met.TakeNew([Item(a, 40), Item(a, 41)]));
    }
}
