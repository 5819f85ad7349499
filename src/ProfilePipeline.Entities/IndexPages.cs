using System.Collections.Immutable;

namespace ProfilePipeline.Entities;

/// <summary>
/// How large a message that may cross nodes gets. An index may hold a great many entries and a batch may change a great
/// many; a message over the remoting frame size (128,000 bytes by default) is dropped by the transport. So a stage reads
/// an index in pages of <see cref="PageEntries"/>, and writes a large batch's changes (or hands a large batch of labels
/// to the learner) in pieces of at most <see cref="MaxBytes"/>: counted exactly in the binary layout of decision points,
/// by a generous estimate of their JSON for the rest. Checked over a real remote hop with long ids.
/// </summary>
public static class RemoteMessageLimits
{
    /// <summary>Entries (points or timers) in one page read from an index.</summary>
    public const int PageEntries = 128;

    /// <summary>Estimated bytes of the entries of one message: half the default frame size.</summary>
    public const int MaxBytes = 64_000;

    /// <summary>A generous estimate of a string's bytes in JSON: every UTF-8 byte escaped twice over, and the quotes.</summary>
    public static int JsonBytes(string text) => 2 * System.Text.Encoding.UTF8.GetByteCount(text) + 4;

    /// <summary>
    /// An update of entries and two lists of ids in pieces (the entries first, then the first list, then the second),
    /// each within <paramref name="maxBytes"/>: applied one after the other, in order, they change what the whole update
    /// changes.
    /// </summary>
    /// <param name="piece">Builds one piece's message from its entries and ids.</param>
    /// <param name="idBytes">The bytes of an id in the message's layout (by default, as JSON).</param>
    /// <param name="atMost">
    /// Bounds above <paramref name="bytesOf"/> and <paramref name="idBytes"/>, cheaper to take (from string lengths):
    /// an update they put within <paramref name="maxBytes"/> goes whole, without its entries measured one by one.
    /// </param>
    public static IEnumerable<TMessage> InPieces<TEntry, TMessage>(IReadOnlyList<TEntry> entries, Func<TEntry, int> bytesOf, IReadOnlyList<string> first,
        IReadOnlyList<string> second, Func<ImmutableArray<TEntry>, ImmutableArray<string>, ImmutableArray<string>, TMessage> piece, int maxBytes = MaxBytes,
        Func<string, int>? idBytes = null, (Func<TEntry, int> Entry, Func<string, int> Id)? atMost = null)
    {
        if (entries.Count + first.Count + second.Count == 0)
            return [];
        if (atMost is { } bound)
        {
            var bytes = Within(entries, bound.Entry, maxBytes, 0);
            bytes = Within(first, bound.Id, maxBytes, bytes);
            if (Within(second, bound.Id, maxBytes, bytes) <= maxBytes)
                return [piece(Slice(entries, 0, entries.Count), Slice(first, 0, first.Count), Slice(second, 0, second.Count))];
        }
        return Packed(entries, bytesOf, first, second, piece, maxBytes, idBytes ?? JsonBytes);
    }

    /// <summary><paramref name="bytes"/> plus the items' bounds, counted only until the sum passes <paramref name="maxBytes"/>.</summary>
    private static int Within<T>(IReadOnlyList<T> items, Func<T, int> bound, int maxBytes, int bytes)
    {
        for (var i = 0; i < items.Count && bytes <= maxBytes; i++)
            bytes += bound(items[i]);
        return bytes;
    }

    /// <summary>
    /// The entries in runs, in order, each within <paramref name="maxBytes"/> by <paramref name="atMost"/> when the sum of
    /// the bounds fits in one (then <paramref name="bytesOf"/> is not taken), otherwise as <see cref="Pack{T}"/> packs them.
    /// </summary>
    public static IEnumerable<List<T>> Pack<T>(IReadOnlyList<T> entries, Func<T, int> bytesOf, Func<T, int> atMost, int maxBytes = MaxBytes) =>
        entries.Count == 0 ? [] : Within(entries, atMost, maxBytes, 0) <= maxBytes ? [[.. entries]] : Pack(entries, bytesOf, maxBytes);

    private static IEnumerable<TMessage> Packed<TEntry, TMessage>(IReadOnlyList<TEntry> entries, Func<TEntry, int> bytesOf, IReadOnlyList<string> first,
        IReadOnlyList<string> second, Func<ImmutableArray<TEntry>, ImmutableArray<string>, ImmutableArray<string>, TMessage> piece, int maxBytes,
        Func<string, int> idBytes)
    {
        // Packed by position in the three lists one after the other; each run of positions is a piece.
        var firstAt = entries.Count;
        var secondAt = firstAt + first.Count;
        int BytesAt(int i) => i < firstAt ? bytesOf(entries[i]) : idBytes(i < secondAt ? first[i - firstAt] : second[i - secondAt]);
        return Pack(Enumerable.Range(0, secondAt + second.Count), BytesAt, maxBytes).Select(run =>
        {
            var (from, to) = (run[0], run[^1] + 1);
            return piece(Slice(entries, from, to), Slice(first, from - firstAt, to - firstAt), Slice(second, from - secondAt, to - secondAt));
        });
    }

    /// <summary>The items of <paramref name="list"/> from <paramref name="from"/> up to <paramref name="to"/>, clipped to the list.</summary>
    private static ImmutableArray<T> Slice<T>(IReadOnlyList<T> list, int from, int to)
    {
        var (start, end) = (Math.Max(from, 0), Math.Min(to, list.Count));
        if (end <= start)
            return [];
        var slice = ImmutableArray.CreateBuilder<T>(end - start);
        for (var i = start; i < end; i++)
            slice.Add(list[i]);
        return slice.MoveToImmutable();
    }

    /// <summary>
    /// The entries in runs, in order, each within <paramref name="maxBytes"/> by <paramref name="bytesOf"/> (an entry
    /// larger than that alone in its run).
    /// </summary>
    public static IEnumerable<List<T>> Pack<T>(IEnumerable<T> entries, Func<T, int> bytesOf, int maxBytes = MaxBytes)
    {
        var run = new List<T>();
        var bytes = 0;
        foreach (var entry in entries)
        {
            var size = bytesOf(entry);
            if (run.Count > 0 && bytes + size > maxBytes)
            {
                yield return run;
                run = [];
                bytes = 0;
            }
            run.Add(entry);
            bytes += size;
        }
        if (run.Count > 0)
            yield return run;
    }
}

/// <summary>
/// An index's entries in pages, in the ordinal order of their keys: a page after the last key of the one before, up to
/// <see cref="RemoteMessageLimits.PageEntries"/>. The ordered listing is built once and reused while nothing changes, so
/// reading a large index costs one sort rather than one per page. Single-threaded, as the actor that owns it.
/// </summary>
public sealed class IndexPages<T>(Func<T, string> keyOf)
{
    private T[]? _listing;

    /// <summary>Call on every change of the entries: the next page is listed afresh.</summary>
    public void Changed() => _listing = null;

    /// <summary>
    /// The entries after <paramref name="after"/> (from the first when null), at most
    /// <see cref="RemoteMessageLimits.PageEntries"/>, and the key to ask after for the next page (null on the last).
    /// </summary>
    public (ImmutableArray<T> Entries, string? Next) After(string? after, IEnumerable<T> entries)
    {
        _listing ??= entries.OrderBy(keyOf, StringComparer.Ordinal).ToArray();
        var start = after is null ? 0 : FirstAfter(after);
        var count = Math.Min(RemoteMessageLimits.PageEntries, _listing.Length - start);
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
