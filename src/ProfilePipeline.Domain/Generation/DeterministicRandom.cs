namespace ProfilePipeline.Domain.Generation;

/// <summary>SplitMix64: the same seed gives the same sequence on every runtime version (System.Random does not promise that).</summary>
public sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextULong()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public int Next(int maxExclusive) => (int)(NextULong() % (ulong)maxExclusive);

    public bool Chance(double probability) => NextDouble() < probability;

    public double Exponential(double mean) => -mean * Math.Log(1 - NextDouble());

    /// <summary>Pareto with minimum 1: heavy-tailed activity levels.</summary>
    public double Pareto(double alpha) => Math.Pow(1 - NextDouble(), -1 / alpha);

    public double LogNormal(double median, double sigma)
    {
        var u1 = 1 - NextDouble();
        var u2 = NextDouble();
        var normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return median * Math.Exp(sigma * normal);
    }
}
