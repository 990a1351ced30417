using System.Diagnostics;
using Xunit;

namespace Parley.Testing;

/// <summary>Waiting for something another process or thread does, without fixed sleeps: the condition is polled until it
/// holds, and the test fails if it has not within the bound.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < timeout, $"Timed out after {timeout} waiting until {what}.");
            await Task.Delay(Interval);
        }
    }
}
