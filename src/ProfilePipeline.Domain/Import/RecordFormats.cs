using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Import;

/// <summary>The input formats `run --format` knows, and the parser for the generic CSV `--map` option.</summary>
public static class RecordFormats
{
    public static readonly IReadOnlyList<string> Names = ["jsonl", "taobao", "rees46", "retailrocket", "csv"];

    public static IRecordFormat Create(string name, string? mapping = null) => name.ToLowerInvariant() switch
    {
        "jsonl" or "json" => new JsonLinesFormat(),
        // user_id,item_id,category_id,behavior_type,timestamp (unix seconds); no header.
        "taobao" => new CsvRecordFormat("taobao", hasHeader: false, new Dictionary<string, string>
        {
            [CanonicalFields.UserId] = "0", [CanonicalFields.ItemId] = "1", [CanonicalFields.CategoryId] = "2",
            [CanonicalFields.Type] = "3", [CanonicalFields.Timestamp] = "4",
        }, TimestampUnit.Seconds),
        "rees46" => new CsvRecordFormat("rees46", hasHeader: true, new Dictionary<string, string>
        {
            [CanonicalFields.Timestamp] = "event_time", [CanonicalFields.Type] = "event_type", [CanonicalFields.ItemId] = "product_id",
            [CanonicalFields.CategoryId] = "category_id", [CanonicalFields.CategoryPath] = "category_code", [CanonicalFields.Brand] = "brand",
            [CanonicalFields.Price] = "price", [CanonicalFields.UserId] = "user_id", [CanonicalFields.SessionId] = "user_session",
        }),
        // RetailRocket events.csv: timestamp (ms), visitorid, event, itemid, transactionid.
        "retailrocket" => new CsvRecordFormat("retailrocket", hasHeader: true, new Dictionary<string, string>
        {
            [CanonicalFields.Timestamp] = "timestamp", [CanonicalFields.UserId] = "visitorid", [CanonicalFields.Type] = "event",
            [CanonicalFields.ItemId] = "itemid", ["attributes.transactionId"] = "transactionid",
        }, TimestampUnit.Milliseconds),
        "csv" => ParseMapping(mapping ?? throw new FormatException(
            "--format csv needs --map, for example --map \"userId=user,type=action,timestamp=ts,itemId=sku\" (add header=false to use column indices, timestampUnit=s for epoch seconds)")),
        _ => throw new FormatException($"unknown format '{name}'; use one of {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// "field=column,..." where column is a header name or a zero-based index; the options
    /// header=true|false and timestampUnit=auto|s|ms, and constants as field:=value (for example type:=purchase).
    /// </summary>
    public static CsvRecordFormat ParseMapping(string mapping)
    {
        var columns = new List<KeyValuePair<string, string>>();
        var constants = new Dictionary<string, string>();
        var hasHeader = true;
        var unit = TimestampUnit.Auto;
        foreach (var part in mapping.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var constant = part.IndexOf(":=", StringComparison.Ordinal);
            if (constant > 0)
            {
                constants[part[..constant].Trim()] = part[(constant + 2)..].Trim();
                continue;
            }
            var equals = part.IndexOf('=');
            if (equals <= 0 || equals == part.Length - 1)
                throw new FormatException($"mapping entry '{part}' is not field=column");
            var key = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            switch (key)
            {
                case "header":
                    hasHeader = bool.TryParse(value, out var h) ? h : throw new FormatException($"header={value}: use true or false");
                    break;
                case "timestampUnit":
                    unit = value switch
                    {
                        "s" or "seconds" => TimestampUnit.Seconds,
                        "ms" or "milliseconds" => TimestampUnit.Milliseconds,
                        "auto" => TimestampUnit.Auto,
                        _ => throw new FormatException($"timestampUnit={value}: use s, ms or auto"),
                    };
                    break;
                default:
                    columns.Add(new(key, value));
                    break;
            }
        }
        foreach (var required in new[] { CanonicalFields.UserId, CanonicalFields.Type, CanonicalFields.Timestamp })
        {
            if (columns.All(c => c.Key != required) && !constants.ContainsKey(required))
                throw new FormatException($"the mapping must name a column for {required}");
        }
        return new CsvRecordFormat("csv", hasHeader, columns, unit, constants);
    }
}
