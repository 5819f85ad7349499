using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ProfilePipeline.Entities.Storage;

/// <summary>
/// A private PostgreSQL server in a temporary folder on 127.0.0.1, for tests and the benchmark: initdb, pg_ctl
/// start on a free port, and on dispose pg_ctl stop and the folder deleted. PostgreSQL refuses to run as root,
/// so when this process is root the server runs as the <c>postgres</c> user (through runuser).
/// </summary>
public sealed class ThrowawayPostgres : IDisposable
{
    private readonly string _bin;
    private readonly string _directory;
    private readonly string _data;

    private ThrowawayPostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        _data = Path.Combine(directory, "data");
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20";

    /// <summary>Where the server binaries are, or null when PostgreSQL is not installed (callers skip with that reason).</summary>
    public static string? FindBinaries()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("PG_BIN"), "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin" })
            if (!string.IsNullOrEmpty(candidate) && File.Exists(Path.Combine(candidate, "initdb")) && File.Exists(Path.Combine(candidate, "pg_ctl")))
                return candidate;
        return null;
    }

    /// <param name="synchronousCommit">PostgreSQL's synchronous_commit: on flushes the WAL before a commit returns.</param>
    public static ThrowawayPostgres Start(bool synchronousCommit = true)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) are not installed; set PG_BIN");
        var directory = Path.Combine(Path.GetTempPath(), "pp-postgres-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new ThrowawayPostgres(bin, directory, FreePort());
        try
        {
            if (Environment.UserName == "root")
                Run("chown", ["-R", "postgres:postgres", directory], asPostgres: false);
            server.RunTool("initdb", ["-D", server._data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
            var options = $"-p {server.Port} -c listen_addresses=127.0.0.1 -k {directory} -c synchronous_commit={(synchronousCommit ? "on" : "off")} -c max_connections=100";
            server.RunTool("pg_ctl", ["-D", server._data, "-o", options, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "start"]);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(_data, "postmaster.pid")))
                RunTool("pg_ctl", ["-D", _data, "-m", "fast", "-w", "-t", "60", "stop"]);
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temp folder; the OS cleans it.
            }
        }
    }

    private void RunTool(string tool, IReadOnlyList<string> arguments) => Run(Path.Combine(_bin, tool), arguments, asPostgres: Environment.UserName == "root");

    private static void Run(string file, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var start = asPostgres ? new ProcessStartInfo("runuser") : new ProcessStartInfo(file);
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
                start.ArgumentList.Add(a);
        }
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 120 s");
        }
        process.WaitForExit(); // the process has exited; this waits for its redirected output to be read to the end
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.GetAwaiter().GetResult()}{output.GetAwaiter().GetResult()}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
