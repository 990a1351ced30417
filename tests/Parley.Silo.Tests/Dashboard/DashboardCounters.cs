using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>The dashboard's counters are sampled by its own timer (every second), so a silo that has just started may
/// still count no host: poll them, bounded, until they count the expected silos.</summary>
internal static class DashboardCounters
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task AssertActiveHostsAsync(Func<Task<HttpResponseMessage>> fetch, int expected)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            using var counters = await fetch();
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            var hosts = (await counters.ReadJsonAsync()).GetProperty("totalActiveHostCount").GetInt32();
            if (hosts == expected)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The dashboard still counts {hosts} active silo(s), not {expected}.");
            await Task.Delay(Poll);
        }
    }
}
