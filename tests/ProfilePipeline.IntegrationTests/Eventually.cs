namespace ProfilePipeline.IntegrationTests;

/// <summary>Polls a condition until it holds, bounded in time: how the tests wait, never with a fixed sleep.</summary>
public static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string? what = null) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, what);

    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string? what = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what ?? "condition"} not met within {timeout}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
