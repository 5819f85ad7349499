using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using ProfilePipeline.Domain.Privacy;

namespace ProfilePipeline.Entities;

/// <summary>
/// A node's view of the <see cref="ErasureRegistry"/>: which users were erased and when, looked up by erasure key when
/// an entity starts (one keyed hash per activation, not per event). Thread-safe. The registry fills it at node start
/// and keeps it current through distributed pub-sub; an erasing entity also adds its own erasure at once.
/// </summary>
public sealed class Erasures
{
    /// <summary>How long the pseudonymous id of an erased user stays in memory so that updates still in flight are dropped.</summary>
    public static readonly TimeSpan InFlightHorizon = TimeSpan.FromHours(1);

    private readonly Pseudonymizer _keys;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, (long ErasedAt, DateTimeOffset Noticed)> _recentByUser = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, long> _byKey = ImmutableDictionary<string, long>.Empty;

    public Erasures(Pseudonymizer keys, IActorRef registry)
    {
        _keys = keys;
        Registry = registry;
    }

    /// <summary>The registry (on a cluster node, the proxy of the singleton).</summary>
    public IActorRef Registry { get; }

    /// <summary>Completes once the registry's erasures are known; a node starts no entity before that.</summary>
    public Task Loaded => _loaded.Task;

    public int Count => Volatile.Read(ref _byKey).Count;

    public string KeyFor(string userId) => _keys.ErasureKey(userId);

    /// <summary>When <paramref name="userId"/> was erased (epoch ms), or null if never.</summary>
    public long? ErasedAt(string userId)
    {
        var byKey = Volatile.Read(ref _byKey);
        return !byKey.IsEmpty && byKey.TryGetValue(KeyFor(userId), out var at) ? at : null;
    }

    /// <summary>
    /// True for a profile update of a user erased on this node's watch whose newest event is at or before the erasure:
    /// computed before the erasure and still in flight, so the outputs must not publish it.
    /// </summary>
    public bool Suppresses(string userId, long asOf) =>
        !_recentByUser.IsEmpty && _recentByUser.TryGetValue(userId, out var erased) && asOf <= erased.ErasedAt;

    public void Load(ErasureSet set)
    {
        ImmutableDictionary<string, long> seen, merged;
        do
        {
            seen = Volatile.Read(ref _byKey);
            merged = seen;
            foreach (var (key, at) in set.ErasedAtByKey)
                merged = merged.SetItem(key, Math.Max(at, merged.GetValueOrDefault(key, long.MinValue)));
        }
        while (Interlocked.CompareExchange(ref _byKey, merged, seen) != seen);
        _loaded.TrySetResult();
    }

    public void Add(UserErased erased)
    {
        Load(new ErasureSet(ImmutableDictionary<string, long>.Empty.Add(erased.Key, erased.ErasedAt)));
        var now = DateTimeOffset.UtcNow;
        _recentByUser.AddOrUpdate(erased.UserId, (erased.ErasedAt, now), (_, old) => (Math.Max(old.ErasedAt, erased.ErasedAt), now));
        foreach (var (user, entry) in _recentByUser)
        {
            if (now - entry.Noticed > InFlightHorizon)
                _recentByUser.TryRemove(user, out _);
        }
    }
}
