using System.Collections.Immutable;

namespace ProfilePipeline.Entities;

/// <summary>
/// How many entries one message to or from a partition's index carries at most. An index may hold a great many; a
/// message that crosses nodes must stay well under the remoting frame size (128,000 bytes by default), so a stage
/// reads an index in pages and writes a large batch's changes in pieces. The limits are sized for the largest entry
/// (a decision point with its features) with long ids, and checked by a serialization test.
/// </summary>
public static class IndexMessageLimits
{
    /// <summary>Entries (points, timers, or ids) in one message.</summary>
    public const int MaxEntries = 128;
}

/// <summary>
/// An index's entries in pages, in the ordinal order of their keys: a page after the last key of the one before, up to
/// <see cref="IndexMessageLimits.MaxEntries"/>. The ordered listing is built once and reused while nothing changes, so
/// reading a large index costs one sort rather than one per page. Single-threaded, as the actor that owns it.
/// </summary>
public sealed class IndexPages<T>(Func<T, string> keyOf)
{
    private T[]? _listing;

    /// <summary>Call on every change of the entries: the next page is listed afresh.</summary>
    public void Changed() => _listing = null;

    /// <summary>
    /// The entries after <paramref name="after"/> (from the first when null), at most
    /// <see cref="IndexMessageLimits.MaxEntries"/>, and the key to ask after for the next page (null on the last).
    /// </summary>
    public (ImmutableArray<T> Entries, string? Next) After(string? after, IEnumerable<T> entries)
    {
        _listing ??= entries.OrderBy(keyOf, StringComparer.Ordinal).ToArray();
        var start = after is null ? 0 : FirstAfter(after);
        var count = Math.Min(IndexMessageLimits.MaxEntries, _listing.Length - start);
        var page = ImmutableArray.Create(_listing, start, count);
        var next = start + count < _listing.Length ? keyOf(_listing[start + count - 1]) : null;
        return (page, next);
    }

    private int FirstAfter(string key)
    {
        int low = 0, high = _listing!.Length;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (string.CompareOrdinal(keyOf(_listing[middle]), key) <= 0)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }
}
