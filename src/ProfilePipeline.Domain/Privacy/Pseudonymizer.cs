using System.Security.Cryptography;
using System.Text;

namespace ProfilePipeline.Domain.Privacy;

/// <summary>
/// Keyed hash (HMAC-SHA256, first 128 bits, hex) of user ids and personal fields.
/// The same key always maps the same input to the same pseudonym, so profiles stay joinable;
/// without the key the raw value cannot be recovered or guessed by hashing candidates.
/// </summary>
public sealed class Pseudonymizer
{
    private readonly byte[] _key;

    public Pseudonymizer(string key)
    {
        if (string.IsNullOrWhiteSpace(key) || Encoding.UTF8.GetByteCount(key) < 16)
            throw new ArgumentException("The pseudonymisation key must be at least 16 bytes long.", nameof(key));
        _key = Encoding.UTF8.GetBytes(key);
    }

    public string Pseudonymize(string value)
    {
        Span<byte> input = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(value.Length, 256))];
        var bytes = value.Length <= 256 ? input[..Encoding.UTF8.GetBytes(value, input)] : Encoding.UTF8.GetBytes(value);
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_key, bytes, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>
    /// The key under which the erasure of a (pseudonymous) user id is recorded: a second keyed hash, so that the
    /// erasure record does not contain the id that appears in the journal and the outputs. Recognising the user
    /// again takes the secret key and the id, which is exactly what refusing a replay of their old events needs.
    /// </summary>
    public string ErasureKey(string pseudonymousUserId) => Pseudonymize("erasure\u001f" + pseudonymousUserId);
}
