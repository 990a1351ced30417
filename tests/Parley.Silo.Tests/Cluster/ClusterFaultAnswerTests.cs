using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Messaging;
using Parley.Silo.Api;
using Parley.Silo.Cluster;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using StackExchange.Redis;
using Xunit;

namespace Parley.Silo.Tests.Cluster;

/// <summary>A grain call that failed because the cluster is changing (a silo died or is leaving, a call timed out, the
/// store did not answer) is answered 503 with Retry-After in OpenAI's shape, never 500; anything else stays a 500. Run
/// through the silo's own error handling on a real Kestrel server, with endpoints that throw what Orleans throws.</summary>
public sealed class ClusterFaultAnswerTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_logs);
        _app = builder.Build();
        _app.UseParleyErrors();
        _app.MapGet("/silo-unavailable", static HttpContext => throw new SiloUnavailableException("the target silo is gone"));
        _app.MapGet("/connection-failed", static HttpContext => throw new ConnectionFailedException("refused"));
        _app.MapGet("/timed-out", static HttpContext => throw new TimeoutException("the grain call timed out"));
        _app.MapGet("/redis", static HttpContext => throw new RedisException("no answer from Redis"));
        _app.MapGet("/wrapped", static HttpContext => throw new OrleansException("wrapped", new SiloUnavailableException("gone")));
        _app.MapGet("/bug", static HttpContext => throw new InvalidOperationException("a bug"));
        await _app.StartAsync();
        _client = new HttpClient
        {
            BaseAddress = new Uri(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
        };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("/silo-unavailable")]
    [InlineData("/connection-failed")]
    [InlineData("/timed-out")]
    [InlineData("/redis")]
    [InlineData("/wrapped")]
    public async Task A_cluster_fault_is_503_with_retry_after(string path)
    {
        using var response = await _client.GetAsync(path);

        await response.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "cluster_unavailable", type: "server_error");
        Assert.Equal("1", response.Header("Retry-After"));
    }

    [Fact]
    public async Task Anything_else_is_still_a_500_without_details()
    {
        using var response = await _client.GetAsync("/bug");

        var error = await response.AssertErrorAsync(HttpStatusCode.InternalServerError, "internal_error", type: "server_error");
        Assert.DoesNotContain("a bug", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("/silo-unavailable", "Warning", 2)]
    [InlineData("/bug", "Error", 1)]
    public async Task Each_answered_exception_is_logged_once_by_the_handler_and_not_again_by_the_middleware(string path, string level, int eventId)
    {
        var before = _logs.Lines.Count;
        using var response = await _client.GetAsync(path);
        await response.Content.ReadAsStringAsync();

        var warnings = _logs.Lines.Skip(before).Select(l => string.Join(' ', l.Split(' ').Take(2)))
            .Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) || l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));
        Assert.Equal([$"{level} {typeof(ApiErrorHandling).FullName}[{eventId}]"], warnings);
    }

    [Fact]
    public void Only_calls_that_failed_because_of_the_cluster_are_transient()
    {
        Assert.True(ClusterFaults.IsTransient(new SiloUnavailableException()));
        Assert.True(ClusterFaults.IsTransient(new OrleansException("x", new TimeoutException())));
        Assert.False(ClusterFaults.IsTransient(new Orleans.Storage.InconsistentStateException("etag")));
        Assert.False(ClusterFaults.IsTransient(new ArgumentException("bad")));
        Assert.Equal(8, ClusterCalls.AttemptsWithin(TimeSpan.FromSeconds(6)));
        Assert.Equal(1, ClusterCalls.AttemptsWithin(TimeSpan.Zero));
    }
}
