using System.Buffers;
using System.Text.Json;
using ProfilePipeline.Domain.Decisions;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Profile;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Streams;

/// <summary>
/// The wire forms of the outputs: a scored profile (docs/scored-profile.schema.json, schemaVersion 1)
/// and a dead letter. Written by hand with Utf8JsonWriter: the field order is fixed and nothing is reflected.
/// </summary>
public static class ProfileJson
{
    public static void WriteProfile(IBufferWriter<byte> buffer, ScoredProfile p)
    {
        using var w = new Utf8JsonWriter(buffer);
        var f = p.Features;
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", ScoredProfile.SchemaVersion);
        w.WriteString("userId", f.UserId);
        w.WriteString("asOf", Iso(f.AsOf));
        w.WriteNumber("asOfMs", f.AsOf);
        w.WriteNumber("profileVersion", f.ProfileVersion);
        w.WriteStartObject("propensity");
        w.WriteNumber("score", Math.Round(p.Propensity, 6));
        w.WriteString("modelVersion", p.ModelVersion);
        w.WriteEndObject();
        w.WriteStartObject("rfm");
        w.WriteNumber("recency", p.Rfm.Recency);
        w.WriteNumber("frequency", p.Rfm.Frequency);
        w.WriteNumber("monetary", p.Rfm.Monetary);
        w.WriteString("tier", p.Rfm.Tier);
        if (f.Rfm.RecencyDays is { } days)
            w.WriteNumber("recencyDays", Math.Round(days, 6));
        else
            w.WriteNull("recencyDays");
        w.WriteNumber("frequency30d", f.Rfm.Frequency30d);
        w.WriteNumber("monetary30d", f.Rfm.Monetary30d);
        w.WriteEndObject();
        w.WriteStartArray("tags");
        foreach (var tag in p.Tags)
            w.WriteStringValue(tag);
        w.WriteEndArray();
        if (p.Segment is { } segment)
        {
            w.WriteStartObject("segment");
            w.WriteString("id", segment.Id);
            w.WriteString("name", segment.Name);
            w.WriteNumber("version", segment.Version);
            w.WriteEndObject();
        }
        else
            w.WriteNull("segment");
        w.WriteNumber("churnRisk", Math.Round(p.ChurnRisk, 6));
        WriteOptional(w, "inactiveSinceMs", p.InactiveSince);
        w.WriteNumber("evaluatedAtMs", p.EvaluatedAt);
        w.WriteStartObject("features");
        w.WriteNumber("firstSeenMs", f.FirstSeen);
        WriteTotals(w, "lifetime", f.Lifetime);
        w.WriteStartObject("windows");
        foreach (var window in WindowSpec.All)
            WriteTotals(w, window.Name, f.Window(window));
        w.WriteEndObject();
        w.WriteNumber("distinctItems", f.DistinctItems);
        w.WriteNumber("distinctCategories", f.DistinctCategories);
        WriteOptional(w, "lastPurchaseAtMs", f.LastPurchaseAt);
        WriteOptional(w, "lastCartAddAtMs", f.LastCartAddAt);
        w.WriteStartObject("sessions");
        w.WriteNumber("count", f.Sessions.Count);
        w.WriteNumber("currentEvents", f.Sessions.CurrentEvents);
        w.WriteNumber("averageEvents", Math.Round(f.Sessions.AverageEvents, 6));
        w.WriteNumber("averageDurationSeconds", Math.Round(f.Sessions.AverageDurationSeconds, 3));
        w.WriteEndObject();
        w.WriteStartObject("intervals");
        w.WriteNumber("count", f.Intervals.Count);
        w.WriteNumber("meanSeconds", Math.Round(f.Intervals.MeanSeconds, 3));
        w.WriteNumber("maxSeconds", Math.Round(f.Intervals.MaxSeconds, 3));
        w.WriteEndObject();
        WriteAffinity(w, "topCategories", f.TopCategories);
        WriteAffinity(w, "topBrands", f.TopBrands);
        w.WriteEndObject();
        if (p.Attributes is { } a)
        {
            w.WriteStartObject("attributes");
            w.WriteString("ageBand", a.AgeBand);
            w.WriteString("gender", a.Gender);
            w.WriteString("region", a.Region);
            WriteOptional(w, "registeredAtMs", a.RegisteredAt);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("attributes");
        }
        w.WriteEndObject();
    }

    /// <summary>An action the decision rules produced (docs/actions.md).</summary>
    public static void WriteAction(IBufferWriter<byte> buffer, ProfileAction a)
    {
        using var w = new Utf8JsonWriter(buffer);
        var p = a.Profile;
        w.WriteStartObject();
        w.WriteString("userId", a.UserId);
        w.WriteString("action", a.Action);
        w.WriteString("rule", a.Rule);
        w.WriteString("trigger", a.Trigger == RuleTrigger.Inactive ? "inactive" : "update");
        w.WriteString("at", Iso(a.At));
        w.WriteNumber("atMs", a.At);
        w.WriteNumber("profileVersion", p.Features.ProfileVersion);
        w.WriteNumber("propensity", Math.Round(p.Propensity, 6));
        w.WriteString("modelVersion", p.ModelVersion);
        w.WriteNumber("churnRisk", Math.Round(p.ChurnRisk, 6));
        w.WriteString("tier", p.Rfm.Tier);
        if (p.Segment is { } segment)
            w.WriteString("segment", segment.Id);
        else
            w.WriteNull("segment");
        w.WriteStartArray("tags");
        foreach (var tag in p.Tags)
            w.WriteStringValue(tag);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteDeadLetter(IBufferWriter<byte> buffer, DeadLetter d)
    {
        using var w = new Utf8JsonWriter(buffer);
        w.WriteStartObject();
        w.WriteString("reason", d.Reason);
        w.WriteString("detail", d.Detail);
        w.WriteString("source", d.Position.SourceId);
        w.WriteNumber("offset", d.Position.Offset);
        w.WriteString("payload", d.Payload);
        if (d.UserId is not null)
            w.WriteString("userId", d.UserId);
        w.WriteEndObject();
    }

    private static void WriteTotals(Utf8JsonWriter w, string name, BehaviorTotals t)
    {
        w.WriteStartObject(name);
        foreach (var type in BehaviorTypes.All)
            w.WriteNumber(type.WireName(), t[type]);
        w.WriteNumber("spend", t.Spend);
        w.WriteEndObject();
    }

    private static void WriteAffinity(Utf8JsonWriter w, string name, IReadOnlyList<AffinityScore> scores)
    {
        w.WriteStartArray(name);
        foreach (var s in scores)
        {
            w.WriteStartObject();
            w.WriteString("key", s.Key);
            w.WriteNumber("score", Math.Round(s.Score, 9));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
            w.WriteNumber(name, v);
        else
            w.WriteNull(name);
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
}
