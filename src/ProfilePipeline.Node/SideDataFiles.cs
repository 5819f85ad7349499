using ProfilePipeline.Domain.Enrichment;
using ProfilePipeline.Domain.Privacy;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node;

/// <summary>
/// The side-data files behind the enrich stage. When a file changes while the pipeline runs, it is read again
/// and swapped in whole; a file that fails to load keeps the previous data and the error is reported.
/// </summary>
public sealed class SideDataFiles
{
    private readonly string? _catalogue;
    private readonly string? _users;
    private readonly Pseudonymizer _pseudonymizer;
    private DateTime _catalogueStamp;
    private DateTime _usersStamp;

    public SideDataFiles(string? catalogue, string? users, Pseudonymizer pseudonymizer)
    {
        _catalogue = catalogue;
        _users = users;
        _pseudonymizer = pseudonymizer;
        _catalogueStamp = Stamp(catalogue);
        _usersStamp = Stamp(users);
        Current = new SideData(LoadCatalogue(), LoadUsers());
    }

    public SideData Current { get; }

    /// <summary>Reloads what changed since the last look; returns a line for the operator, or null.</summary>
    public string? ReloadIfChanged()
    {
        var catalogueStamp = Stamp(_catalogue);
        var usersStamp = Stamp(_users);
        if (catalogueStamp == _catalogueStamp && usersStamp == _usersStamp)
            return null;
        try
        {
            var catalogue = catalogueStamp == _catalogueStamp ? Current.Catalogue : LoadCatalogue();
            var users = usersStamp == _usersStamp ? Current.Users : LoadUsers();
            Current.Replace(catalogue, users);
            return $"side data reloaded: {catalogue.Count:N0} items, {users.Count:N0} users";
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return $"side data not reloaded, keeping the previous version: {e.Message}";
        }
        finally
        {
            _catalogueStamp = catalogueStamp;
            _usersStamp = usersStamp;
        }
    }

    private ItemCatalogue LoadCatalogue() => _catalogue is null ? ItemCatalogue.Empty : ItemCatalogue.LoadCsv(_catalogue);

    private UserDirectory LoadUsers() => _users is null ? UserDirectory.Empty : UserDirectory.LoadCsv(_users, _pseudonymizer);

    private static DateTime Stamp(string? path) => path is not null && File.Exists(path) ? File.GetLastWriteTimeUtc(path) : default;
}
