namespace ProfilePipeline.Domain.Profile;

/// <summary>
/// Time-decayed affinity per key: score(t) = Σ wᵢ · 2^(−(t − tᵢ)/halfLife), kept exactly for up to
/// <c>capacity</c> keys. A new key arriving when full evicts the key with the lowest current score
/// (ties: the ordinally smallest key), so a user's memory stays bounded.
/// </summary>
internal sealed class DecayedAffinity(int capacity, List<string> keys, List<double> scores, List<long> times)
{
    public DecayedAffinity(int capacity) : this(capacity, [], [], [])
    {
    }

    public int Count => keys.Count;

    public DecayedAffinity Clone() => new(capacity, [.. keys], [.. scores], [.. times]);

    public void Add(string key, double weight, long timestamp, long newest, double halfLifeMs)
    {
        if (weight == 0)
            return;
        var i = keys.IndexOf(key);
        if (i < 0)
        {
            if (keys.Count >= capacity)
                Evict(newest, halfLifeMs);
            keys.Add(SharedStrings.Share(key));
            scores.Add(weight);
            times.Add(timestamp);
            return;
        }
        if (timestamp >= times[i])
        {
            scores[i] = scores[i] * Decay(timestamp - times[i], halfLifeMs) + weight;
            times[i] = timestamp;
        }
        else
        {
            scores[i] += weight * Decay(times[i] - timestamp, halfLifeMs);
        }
    }

    public IReadOnlyList<AffinityScore> Top(int k, long asOf, double halfLifeMs)
    {
        var all = new List<AffinityScore>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
            all.Add(new AffinityScore(keys[i], scores[i] * Decay(asOf - times[i], halfLifeMs)));
        all.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Key, b.Key));
        return all.Count > k ? all.GetRange(0, k) : all;
    }

    private void Evict(long newest, double halfLifeMs)
    {
        var weakest = 0;
        var weakestScore = double.MaxValue;
        for (var i = 0; i < keys.Count; i++)
        {
            var score = scores[i] * Decay(newest - times[i], halfLifeMs);
            if (score < weakestScore || (score == weakestScore && string.CompareOrdinal(keys[i], keys[weakest]) < 0))
            {
                weakest = i;
                weakestScore = score;
            }
        }
        keys.RemoveAt(weakest);
        scores.RemoveAt(weakest);
        times.RemoveAt(weakest);
    }

    public static double Decay(long elapsedMs, double halfLifeMs) => Math.Pow(2, -elapsedMs / halfLifeMs);

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            writer.Write(keys[i]);
            writer.Write(scores[i]);
            writer.Write(times[i]);
        }
    }

    public static DecayedAffinity ReadFrom(BinaryReader reader, int capacity)
    {
        var n = reader.ReadInt32();
        List<string> keys = new(n);
        List<double> scores = new(n);
        List<long> times = new(n);
        for (var i = 0; i < n; i++)
        {
            keys.Add(SharedStrings.Share(reader.ReadString()));
            scores.Add(reader.ReadDouble());
            times.Add(reader.ReadInt64());
        }
        return new DecayedAffinity(capacity, keys, scores, times);
    }
}
