using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ProfilePipeline.Domain.Events;

/// <summary>Deterministic ids for events that arrive without one, and the compact hash entities keep for dedup.</summary>
public static class EventIds
{
    public static string Derive(string userId, BehaviorType type, long timestamp, string? itemId, string? categoryId,
        decimal? price, int quantity, string? query, string? sessionId)
    {
        var text = string.Join('\u001f', userId, type.WireName(), timestamp.ToString(CultureInfo.InvariantCulture),
            itemId, categoryId, price?.ToString(CultureInfo.InvariantCulture), quantity.ToString(CultureInfo.InvariantCulture), query, sessionId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "h-" + Convert.ToHexStringLower(hash[..12]);
    }

    /// <summary>64-bit FNV-1a of the id: stable across processes and runtime versions (unlike string.GetHashCode).</summary>
    public static ulong Fingerprint(string eventId)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in eventId)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash == 0 ? 1 : hash;
    }
}
