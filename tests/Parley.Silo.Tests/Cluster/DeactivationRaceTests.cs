using System.Net;
using Microsoft.Extensions.Logging;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Cluster;

/// <summary>A conversation that does not exist lets its activation go after each call (probed ids must not pin memory),
/// so concurrent calls for one such id meet an activation that is deactivating: Orleans forwards them, and after two
/// forwards rejects them as if the cluster were changing. The silo's reads ride that out like any cluster change (retried
/// within the budget), so every caller gets the 404 the id deserves, never a 503, and nothing is logged as an error.</summary>
public sealed class DeactivationRaceTests : IAsyncLifetime
{
    private const int Callers = 32;
    private const int Rounds = 10;
    private readonly CapturedLogs _logs = new();
    private SiloHarness _harness = null!;

    public async Task InitializeAsync()
        => _harness = await SiloHarness.StartAsync(configureBuilder: builder => builder.Logging.AddProvider(_logs));

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Concurrent_reads_of_a_missing_conversation_all_get_404()
    {
        var (_, key) = await _harness.CreateUserAsync("racer");
        var user = _harness.CreateClient(key);
        var admin = _harness.CreateClient(_harness.AdminKey);
        var statuses = new List<HttpStatusCode>();
        for (var round = 0; round < Rounds; round++)
        {
            var id = $"conv_{Guid.NewGuid():N}";
            // The user's read, the operators' working context and the console's, all at once on the one id.
            var answers = await Task.WhenAll(Enumerable.Range(0, Callers).Select(async i =>
            {
                var (client, path) = (i % 3) switch
                {
                    0 => (user, $"v1/conversations/{id}"),
                    1 => (admin, $"admin/conversations/{id}/context"),
                    _ => (user, $"v1/conversations/{id}/items"),
                };
                using var response = await client.GetAsync(path);
                return response.StatusCode;
            }));
            statuses.AddRange(answers);
        }

        Assert.Equal(Callers * Rounds, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.Empty(_logs.Errors);
    }
}
