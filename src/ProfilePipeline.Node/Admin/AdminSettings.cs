using System.Net;
using System.Security.Cryptography;
using Akka.Configuration;

namespace ProfilePipeline.Node.Admin;

/// <summary>
/// Where the admin endpoint listens and the bearer token every request must carry. Without a configured token the
/// node makes one at start and writes it to <c>admin.token</c> in the data folder (readable by its owner only), but
/// only on a loopback address: on any other address the node refuses to start without a token.
/// </summary>
public sealed record AdminSettings(bool Enabled, string Host, int Port, string Token, string? TokenFile)
{
    public const string TokenFileName = "admin.token";
    public const string AddressFileName = "admin.json";

    public static AdminSettings From(Config config, string dataDirectory)
    {
        var c = config.GetConfig("profile-pipeline.admin") ?? throw new ConfigurationException("missing section profile-pipeline.admin");
        var host = c.GetString("host", "127.0.0.1");
        var port = c.GetInt("port", 0);
        if (port is < 0 or > 65535)
            throw new ConfigurationException($"profile-pipeline.admin.port = {port}: use 0 (any free port) to 65535");
        var token = c.GetString("token", "");
        var enabled = c.GetBoolean("enabled", true);
        if (!enabled || !string.IsNullOrEmpty(token))
            return new AdminSettings(enabled, host, port, token, null);
        if (!IsLoopback(host))
            throw new ConfigurationException(
                $"the admin endpoint on {host} needs a token: set profile-pipeline.admin.token or PROFILE_PIPELINE_ADMIN_TOKEN (without one it may only listen on a loopback address)");
        var generated = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var file = Path.Combine(dataDirectory, TokenFileName);
        File.WriteAllText(file, generated);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new AdminSettings(true, host, port, generated, file);
    }

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
