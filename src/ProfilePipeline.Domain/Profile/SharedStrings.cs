using System.Collections.Concurrent;

namespace ProfilePipeline.Domain.Profile;

/// <summary>
/// One instance per distinct category, brand and source id across all live profiles. Each event arrives with its
/// own copies of these short strings, and a profile keeps up to dozens of them; sharing them saves a few hundred
/// bytes to a few kilobytes per live profile. Bounded: past <see cref="Capacity"/> distinct values, strings are
/// kept as they come (correct, only not shared).
/// </summary>
internal static class SharedStrings
{
    private const int Capacity = 200_000;
    private static readonly ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);

    public static string Share(string value)
    {
        if (Pool.TryGetValue(value, out var shared))
            return shared;
        return Pool.Count < Capacity ? Pool.GetOrAdd(value, value) : value;
    }
}
