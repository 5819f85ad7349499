using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Profile;

public sealed partial class ProfileState
{
    /// <summary>Binary layout version of snapshots. Bump it and keep a reader for the old one when the layout changes.</summary>
    public const byte CodecVersion = 1;

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream(256);
        using (var writer = new BinaryWriter(stream))
            WriteTo(writer);
        return stream.ToArray();
    }

    public void WriteTo(BinaryWriter w)
    {
        w.Write(CodecVersion);
        w.Write(_version);
        w.Write(_firstSeen);
        w.Write(_newest);
        foreach (var count in _lifetime)
            w.Write7BitEncodedInt64(count);
        w.Write(_lifetimeSpend);
        w.Write(_lastPurchaseAt);
        w.Write(_lastCartAddAt);
        _minutes.WriteTo(w);
        _hours.WriteTo(w);
        _days.WriteTo(w);
        _items.WriteTo(w);
        _categories.WriteTo(w);
        _categoryAffinity.WriteTo(w);
        _brandAffinity.WriteTo(w);
        _recentIds.WriteTo(w);
        w.Write(_sourceMarks.Count);
        foreach (var mark in _sourceMarks)
        {
            w.Write(mark.SourceId);
            w.Write(mark.Offset);
        }
        w.Write(_sessionCount);
        w.Write(_sessionStart);
        w.Write(_sessionEvents);
        w.Write(_closedSessionEvents);
        w.Write(_closedSessionDurationMs);
        w.Write(_intervalCount);
        w.Write(_intervalSumMs);
        w.Write(_intervalMaxMs);
    }

    public static ProfileState FromBytes(byte[] bytes, ProfileSettings settings)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return ReadFrom(reader, settings);
    }

    public static ProfileState ReadFrom(BinaryReader r, ProfileSettings settings)
    {
        var codec = r.ReadByte();
        if (codec != CodecVersion)
            throw new InvalidDataException($"profile snapshot layout {codec} is not known (this build reads {CodecVersion})");
        var s = new ProfileState(settings, cloneOnly: true)
        {
            _version = r.ReadInt64(),
            _firstSeen = r.ReadInt64(),
            _newest = r.ReadInt64(),
        };
        for (var i = 0; i < BehaviorTypes.Count; i++)
            s._lifetime[i] = r.Read7BitEncodedInt64();
        s._lifetimeSpend = r.ReadDecimal();
        s._lastPurchaseAt = r.ReadInt64();
        s._lastCartAddAt = r.ReadInt64();
        s._minutes = BucketSeries.ReadFrom(r, WindowSpec.OneHour.BucketMilliseconds, WindowSpec.OneHour.Buckets);
        s._hours = BucketSeries.ReadFrom(r, WindowSpec.SevenDays.BucketMilliseconds, WindowSpec.SevenDays.Buckets);
        s._days = BucketSeries.ReadFrom(r, WindowSpec.ThirtyDays.BucketMilliseconds, WindowSpec.ThirtyDays.Buckets);
        s._items = FingerprintSet.ReadFrom(r, settings.DistinctCapacity);
        s._categories = FingerprintSet.ReadFrom(r, settings.DistinctCapacity);
        s._categoryAffinity = DecayedAffinity.ReadFrom(r, settings.AffinityCapacity);
        s._brandAffinity = DecayedAffinity.ReadFrom(r, settings.AffinityCapacity);
        s._recentIds = RecentIdRing.ReadFrom(r, settings.RecentEventIds);
        var marks = r.ReadInt32();
        for (var i = 0; i < marks; i++)
            s._sourceMarks.Add(new SourcePosition(SharedStrings.Share(r.ReadString()), r.ReadInt64()));
        s._sessionCount = r.ReadInt64();
        s._sessionStart = r.ReadInt64();
        s._sessionEvents = r.ReadInt64();
        s._closedSessionEvents = r.ReadInt64();
        s._closedSessionDurationMs = r.ReadInt64();
        s._intervalCount = r.ReadInt64();
        s._intervalSumMs = r.ReadInt64();
        s._intervalMaxMs = r.ReadInt64();
        return s;
    }
}
