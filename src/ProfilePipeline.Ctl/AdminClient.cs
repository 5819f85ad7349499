using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ProfilePipeline.Ctl;

/// <summary>A failure the operator can act on, with the process exit code that goes with it.</summary>
public sealed class CtlException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public const int Unreachable = 2;
    public const int Refused = 3;
    public const int NotFound = 4;
    public const int Usage = 5;
    public const int Conflict = 6;

    /// <summary>A job the node ran (a replay) ended failed or cancelled.</summary>
    public const int JobFailed = 1;
}

/// <summary>Calls a node's admin endpoint with the bearer token and turns HTTP failures into messages an operator can act on.</summary>
public sealed class AdminClient(Uri node, string token) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = node, Timeout = TimeSpan.FromSeconds(60) };

    public Task<string> GetAsync(string path, string? notFound = null) => SendAsync(HttpMethod.Get, path, notFound);

    public Task<string> PostAsync(string path) => SendAsync(HttpMethod.Post, path, null);

    public async Task<string> SendAsync(HttpMethod method, string path, string? notFound)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new CtlException($"cannot reach the node at {node}: {e.Message}", CtlException.Unreachable);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return response.StatusCode switch
            {
                HttpStatusCode.OK or HttpStatusCode.Accepted => body,
                HttpStatusCode.Conflict => throw new CtlException(ErrorOf(body) ?? $"the node refused {path} in its present state", CtlException.Conflict),
                HttpStatusCode.Unauthorized => throw new CtlException(
                    $"the node at {node} refused the token (401): set {ProfileCtl.TokenVariable} to its admin token", CtlException.Refused),
                HttpStatusCode.NotFound => throw new CtlException(notFound ?? ErrorOf(body) ?? $"{path} not found", CtlException.NotFound),
                HttpStatusCode.BadRequest => throw new CtlException(ErrorOf(body) ?? $"the node refused {path} as malformed", CtlException.Usage),
                _ => throw new CtlException($"the node at {node} answered {(int)response.StatusCode}: {ErrorOf(body) ?? body}", CtlException.Unreachable),
            };
        }
    }

    private static string? ErrorOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
