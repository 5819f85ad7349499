using System.Collections.Immutable;
using System.Globalization;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Import;

/// <summary>
/// A CSV format described by a mapping from canonical field to column (by header name or zero-based index).
/// The dataset importers (Taobao, REES46, RetailRocket) are fixed mappings of this one reader.
/// </summary>
public sealed class CsvRecordFormat : IRecordFormat
{
    private readonly ImmutableArray<(string Field, string Column)> _mapping;
    private readonly ImmutableDictionary<string, string> _constants;
    private readonly TimestampUnit _timestampUnit;
    private ImmutableArray<(string Field, int Index)> _resolved;
    private int _expectedColumns;
    [ThreadStatic] private static List<string>? _fields;

    public CsvRecordFormat(string name, bool hasHeader, IEnumerable<KeyValuePair<string, string>> mapping,
        TimestampUnit timestampUnit = TimestampUnit.Auto, IReadOnlyDictionary<string, string>? constants = null)
    {
        Name = name;
        HasHeader = hasHeader;
        _mapping = [.. mapping.Select(kv => (kv.Key, kv.Value))];
        _constants = constants?.ToImmutableDictionary() ?? ImmutableDictionary<string, string>.Empty;
        _timestampUnit = timestampUnit;
        foreach (var (field, _) in _mapping)
        {
            if (!CanonicalFields.All.Contains(field) && !field.StartsWith(CanonicalFields.AttributePrefix, StringComparison.Ordinal))
                throw new FormatException($"'{field}' is not a canonical field; use one of {string.Join(", ", CanonicalFields.All.Order())} or attributes.<name>");
        }
        if (!HasHeader)
            Resolve(null);
    }

    public string Name { get; }

    public bool HasHeader { get; }

    public void ReadHeader(string? headerLine)
    {
        if (!HasHeader)
            return;
        if (headerLine is null)
            throw new FormatException($"{Name}: the input is empty, expected a header line");
        var columns = new List<string>();
        if (!CsvLine.TrySplit(headerLine.TrimStart('\uFEFF'), columns))
            throw new FormatException($"{Name}: the header line is not valid CSV");
        Resolve(columns.Select(c => c.Trim()).ToList());
    }

    private void Resolve(List<string>? header)
    {
        var resolved = ImmutableArray.CreateBuilder<(string, int)>();
        foreach (var (field, column) in _mapping)
        {
            int index;
            if (int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out var byIndex))
                index = byIndex;
            else if (header is null)
                throw new FormatException($"{Name}: column '{column}' is named but the input has no header; give a zero-based index");
            else
            {
                index = header.FindIndex(h => string.Equals(h, column, StringComparison.OrdinalIgnoreCase));
                if (index < 0)
                    throw new FormatException($"{Name}: column '{column}' (for {field}) is not in the header [{string.Join(",", header)}]");
            }
            resolved.Add((field, index));
        }
        _resolved = resolved.ToImmutable();
        _expectedColumns = header?.Count ?? (_resolved.Length == 0 ? 0 : _resolved.Max(r => r.Item2) + 1);
    }

    public RawBehavior Read(SourcePosition position, string line)
    {
        var fields = _fields ??= new List<string>(16);
        if (!CsvLine.TrySplit(line, fields))
            return RawBehavior.Unreadable(position, line, "unterminated quoted field");
        if (fields.Count < _expectedColumns)
            return RawBehavior.Unreadable(position, line, $"expected {_expectedColumns} columns, found {fields.Count}");
        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (field, index) in _resolved)
        {
            var value = fields[index].Trim();
            builder[field] = field == CanonicalFields.Timestamp ? _timestampUnit.ToEpochMilliseconds(value) : value;
        }
        foreach (var (field, value) in _constants)
            builder[field] = value;
        return new RawBehavior(position, line, builder.ToImmutable());
    }
}

public enum TimestampUnit
{
    /// <summary>Text is passed through: ISO-8601 or epoch milliseconds.</summary>
    Auto,
    Seconds,
    Milliseconds,
}

internal static class TimestampUnitExtensions
{
    public static string ToEpochMilliseconds(this TimestampUnit unit, string value) =>
        unit == TimestampUnit.Seconds && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            && seconds is > 0 and < 253_402_300_799
            ? (seconds * 1000).ToString(CultureInfo.InvariantCulture)
            : value;
}
