using System.Collections.Immutable;
using System.Text.Json;
using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Import;

/// <summary>
/// One canonical JSON object per line (design.md §3). Numbers and strings are both accepted for any field;
/// the <c>attributes</c> object is flattened to <c>attributes.name</c>.
/// </summary>
public sealed class JsonLinesFormat : IRecordFormat
{
    public string Name => "jsonl";

    public bool HasHeader => false;

    public void ReadHeader(string? headerLine)
    {
    }

    public RawBehavior Read(SourcePosition position, string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return RawBehavior.Unreadable(position, line, $"expected a JSON object, found {document.RootElement.ValueKind}");
            var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("attributes") && property.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var attribute in property.Value.EnumerateObject())
                        builder[CanonicalFields.AttributePrefix + attribute.Name] = Text(attribute.Value);
                }
                else if (CanonicalFields.All.Contains(property.Name))
                    builder[property.Name] = Text(property.Value);
            }
            return new RawBehavior(position, line, builder.ToImmutable());
        }
        catch (JsonException e)
        {
            return RawBehavior.Unreadable(position, line, "not valid JSON: " + e.Message);
        }
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => value.GetRawText(),
    };
}
