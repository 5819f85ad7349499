namespace ProfilePipeline.Entities.Tests;

/// <summary>Reading an index page by page gives every entry once, in key order, even when entries change between pages.</summary>
public sealed class IndexPagesSpecs
{
    private static List<string> ReadAll(IndexPages<string> pages, Func<IEnumerable<string>> entries, Action<int>? betweenPages = null)
    {
        var read = new List<string>();
        string? after = null;
        for (var page = 0; page < 1_000; page++)
        {
            var (entriesOfPage, next) = pages.After(after, entries());
            Assert.True(entriesOfPage.Length <= RemoteMessageLimits.PageEntries);
            read.AddRange(entriesOfPage);
            if (next is null)
                return read;
            Assert.Equal(entriesOfPage[^1], next);
            after = next;
            betweenPages?.Invoke(page);
        }
        throw new InvalidOperationException("paging did not end");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(1_000)]
    public void Every_entry_comes_once_in_key_order(int count)
    {
        var random = new Random(count);
        var keys = Enumerable.Range(0, count).Select(_ => random.Next().ToString("x")).Distinct().ToList();
        var read = ReadAll(new IndexPages<string>(k => k), () => keys);
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), read);
    }

    [Fact]
    public void Entries_added_and_removed_between_pages_are_read_when_they_lie_ahead_and_none_comes_twice()
    {
        var keys = new SortedSet<string>(Enumerable.Range(0, 600).Select(i => $"k{i:D4}"), StringComparer.Ordinal);
        var pages = new IndexPages<string>(k => k);
        var read = ReadAll(pages, () => keys, page =>
        {
            keys.Add($"k{9_000 + page:D4}"); // ahead of every page read so far
            keys.Remove($"k{599 - page:D4}"); // ahead too, until the pages reach it
            pages.Changed();
        });

        Assert.Equal(read.Distinct().Count(), read.Count);
        Assert.Equal(keys.ToList(), read);
    }
}
