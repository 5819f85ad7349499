namespace ProfilePipeline.Node;

/// <summary>
/// One run per data folder: an exclusively opened lock file. The operating system releases it when the
/// process ends, however it ends, so a killed run never leaves a stale lock.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _file;

    private RunLock(FileStream file) => _file = file;

    public static RunLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "run.lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            using (var writer = new StreamWriter(file, leaveOpen: true))
                writer.Write(Environment.ProcessId);
            file.Flush();
            return new RunLock(file);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"another run is using {dataDirectory} ({path} is locked)", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
