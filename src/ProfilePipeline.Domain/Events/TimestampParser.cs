using System.Globalization;

namespace ProfilePipeline.Domain.Events;

/// <summary>Parses ISO-8601 (with or without offset; no offset means UTC), "yyyy-MM-dd HH:mm:ss UTC", or epoch milliseconds.</summary>
public static class TimestampParser
{
    private static readonly string[] Formats = ["yyyy-MM-dd HH:mm:ss 'UTC'", "yyyy-MM-dd HH:mm:ss.FFFFFFF 'UTC'"];

    public static bool TryParse(string text, out long epochMilliseconds)
    {
        text = text.Trim();
        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] == '-') && text.All(c => char.IsAsciiDigit(c) || c == '-')
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out epochMilliseconds))
            return epochMilliseconds is > 0 and < 253_402_300_799_999;
        if (DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var exact)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out exact))
        {
            epochMilliseconds = exact.ToUnixTimeMilliseconds();
            return true;
        }
        epochMilliseconds = 0;
        return false;
    }
}
