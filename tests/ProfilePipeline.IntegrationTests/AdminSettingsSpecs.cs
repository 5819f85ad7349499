using Akka.Configuration;
using ProfilePipeline.Node.Admin;

namespace ProfilePipeline.IntegrationTests;

/// <summary>The admin endpoint's token rules, from configuration.</summary>
public sealed class AdminSettingsSpecs : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("pp-admin-settings-").FullName;

    private static Config Admin(string host, string token) =>
        ConfigurationFactory.ParseString($"profile-pipeline.admin {{ enabled = on, host = \"{host}\", port = 0, token = \"{token}\" }}");

    [Fact]
    public void A_node_refuses_to_listen_on_a_non_loopback_address_without_a_token()
    {
        var error = Assert.Throws<ConfigurationException>(() => AdminSettings.From(Admin("0.0.0.0", ""), _data));
        Assert.Contains("PROFILE_PIPELINE_ADMIN_TOKEN", error.Message);
        Assert.False(File.Exists(Path.Combine(_data, AdminSettings.TokenFileName)));
    }

    [Fact]
    public void On_loopback_without_a_token_a_fresh_one_is_written_for_the_owner_only()
    {
        var first = AdminSettings.From(Admin("127.0.0.1", ""), _data);
        var second = AdminSettings.From(Admin("127.0.0.1", ""), _data);

        Assert.Equal(64, first.Token.Length);
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(second.Token, File.ReadAllText(second.TokenFile!));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(second.TokenFile!));
    }

    [Fact]
    public void A_configured_token_is_used_as_given_on_any_address()
    {
        var settings = AdminSettings.From(Admin("0.0.0.0", "s3cret-token"), _data);

        Assert.Equal("s3cret-token", settings.Token);
        Assert.Null(settings.TokenFile);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
