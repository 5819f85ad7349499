using System.Collections.Frozen;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Domain.Scoring;

namespace ProfilePipeline.Domain.Enrichment;

/// <summary>User side data keyed by pseudonymised user id, so that it joins after the clean stage.</summary>
public sealed class UserDirectory(FrozenDictionary<string, UserAttributes> users)
{
    public static readonly UserDirectory Empty = new(FrozenDictionary<string, UserAttributes>.Empty);

    public int Count => users.Count;

    public UserAttributes? Find(string pseudonymousUserId) => users.GetValueOrDefault(pseudonymousUserId);

    /// <summary>Loads "userId,ageBand,gender,region,registeredAt" (header required) and pseudonymises the ids on the way in.</summary>
    public static UserDirectory LoadCsv(string path, Pseudonymizer pseudonymizer)
    {
        var users = new Dictionary<string, UserAttributes>(StringComparer.Ordinal);
        var fields = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1 || line.Length == 0)
                continue;
            if (!CsvLine.TrySplit(line, fields) || fields.Count < 5)
                throw new FormatException($"{path}:{lineNumber}: expected userId,ageBand,gender,region,registeredAt");
            long? registeredAt = TimestampParser.TryParse(fields[4], out var ms) ? ms : null;
            users[pseudonymizer.Pseudonymize(fields[0])] = new UserAttributes(Blank(fields[1]), Blank(fields[2]), Blank(fields[3]), registeredAt);
        }
        return new UserDirectory(users.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
