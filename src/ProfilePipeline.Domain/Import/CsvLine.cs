using System.Text;

namespace ProfilePipeline.Domain.Import;

/// <summary>Splits one CSV line (RFC 4180 quoting, comma separated). Returns false on an unterminated quote.</summary>
public static class CsvLine
{
    public static bool TrySplit(string line, List<string> fields)
    {
        fields.Clear();
        if (line.IndexOf('"') < 0)
        {
            fields.AddRange(line.Split(','));
            return true;
        }
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return !quoted;
    }
}
