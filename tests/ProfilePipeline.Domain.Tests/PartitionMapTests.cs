using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Tests;

/// <summary>Values per partition, found by the name's string or an equal one, and gone once removed even for the last one found.</summary>
public sealed class PartitionMapTests
{
    [Fact]
    public void A_partition_is_found_by_an_equal_name_and_not_after_it_is_removed()
    {
        var map = new PartitionMap<string>();
        var name = "kafka:events/0";
        map.Set(name, "first");
        map.Set("kafka:events/1", "second");

        Assert.Equal("first", map.Find(name));
        Assert.Equal("first", map.Find(new string(name.AsSpan()))); // another string with the same name
        Assert.Equal("second", map.Find("kafka:events/1"));
        Assert.Equal("first", map.Find(name));

        Assert.True(map.Remove(name)); // the one found last
        Assert.Null(map.Find(name));
        Assert.Equal(["second"], map.Values);
        map.Set(name, "again");
        Assert.Equal("again", map.Find(name));
    }
}
