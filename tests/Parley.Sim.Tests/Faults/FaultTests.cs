using System.Net;
using System.Text.Json;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Faults;

public sealed class FaultTests
{
    [Theory]
    [InlineData("500", 500, SimFault.ServerError500)]
    [InlineData("502", 502, SimFault.BadGateway502)]
    [InlineData("503", 503, SimFault.Overloaded503)]
    public async Task Forced_server_error_has_an_openai_body(string fault, int status, SimFault kind)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body(), ("x-sim-fault", fault));

        await SimClient.AssertErrorAsync(response, status, "server_error", null);
        Assert.Null(response.Headers.RetryAfter);
        Assert.Equal(1, sim.State.FaultsOf(kind));
        Assert.Equal(1, sim.State.Faults);
        Assert.Equal(0, sim.State.Completed);
    }

    [Fact]
    public async Task Forced_server_error_can_carry_retry_after()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body(), ("x-sim-fault", "503"), ("x-sim-retry-after", "7"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("7", response.Header("Retry-After"));
    }

    [Theory]
    [InlineData(null, "1", "1s")]
    [InlineData("2", "2", "2s")]
    [InlineData("90", "90", "1m30s")]
    public async Task Forced_429_has_retry_after_and_rate_limit_headers(string? retryAfter, string expected, string reset)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);
        var headers = retryAfter is null ? new[] { ("x-sim-fault", "429") } : [("x-sim-fault", "429"), ("x-sim-retry-after", retryAfter)];

        using var response = await client.PostChatAsync(SimClient.Body(), headers);

        await SimClient.AssertErrorAsync(response, 429, "rate_limit_exceeded", "rate_limit_exceeded");
        Assert.Equal(expected, response.Header("Retry-After"));
        Assert.Equal("0", response.Header("x-ratelimit-remaining-requests"));
        Assert.Equal(reset, response.Header("x-ratelimit-reset-requests"));
        Assert.Equal(1, sim.State.RateLimited);
        Assert.Equal(1, sim.State.FaultsOf(SimFault.RateLimit429));
    }

    [Fact]
    public async Task Timeout_hangs_until_the_client_gives_up()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.SendAsync(SimClient.ChatRequest(SimClient.Body(), ("x-sim-fault", "timeout")), giveUp.Token));

        Assert.Equal(1, sim.State.FaultsOf(SimFault.Timeout));
        await WaitUntilAsync(() => sim.State.InFlight == 0); // the abandoned request is released
    }

    [Fact]
    public async Task Timeout_is_released_when_the_simulator_stops()
    {
        var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);
        var hanging = client.SendAsync(SimClient.ChatRequest(SimClient.Body(), ("x-sim-fault", "timeout")));
        await WaitUntilAsync(() => sim.State.FaultsOf(SimFault.Timeout) == 1);

        var stopping = sim.DisposeAsync().AsTask();

        await Assert.ThrowsAsync<HttpRequestException>(() => hanging);
        await stopping.WaitAsync(SimulatorHost.DefaultShutdownTimeout - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Cut_before_first_byte_fails_the_request_without_a_response()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PostChatAsync(SimClient.Body(), ("x-sim-fault", "cut-before-first-byte")));

        Assert.Equal(1, sim.State.FaultsOf(SimFault.CutBeforeFirstByte));
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData("5", 5)]
    [InlineData("100", 23)] // longer than the stream: still cut, before [DONE]
    public async Task Cut_mid_stream_truncates_the_stream(string? cutAfter, int expectedEvents)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);
        var headers = cutAfter is null ? new[] { ("x-sim-fault", "cut-mid-stream") } : [("x-sim-fault", "cut-mid-stream"), ("x-sim-cut-after-chunks", cutAfter)];
        using var request = SimClient.ChatRequest(SimClient.Body(extra: ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"), headers);

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());
        var received = new List<string>();
        var failure = await Record.ExceptionAsync(async () =>
        {
            while (await sse.NextAsync() is { } data)
            {
                received.Add(data);
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(expectedEvents, received.Count);
        Assert.DoesNotContain(SseReader.Done, received);
        Assert.All(received, e => JsonDocument.Parse(e).Dispose()); // whole events arrived intact before the cut
        Assert.Equal(1, sim.State.FaultsOf(SimFault.CutMidStream));
        Assert.Equal(0, sim.State.Completed);
    }

    [Fact]
    public async Task Cut_mid_stream_of_a_json_answer_delivers_half_the_body()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.SendAsync(SimClient.ChatRequest(SimClient.Body(), ("x-sim-fault", "cut-mid-stream")), HttpCompletionOption.ResponseHeadersRead);

        var promised = response.Content.Headers.ContentLength;
        using var body = await response.Content.ReadAsStreamAsync();
        var received = 0;
        var buffer = new byte[256];
        var failure = await Record.ExceptionAsync(async () =>
        {
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(promised);
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(promised / 2, received);
    }

    [Fact]
    public async Task Random_faults_follow_the_configured_rate()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ServerErrorRate = 1);
        using var client = SimClient.Create(sim);

        var statuses = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await client.PostChatAsync(SimClient.Body());
            statuses.Add((int)response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Contains(s, new[] { 500, 502, 503 }));
        Assert.Equal(12, sim.State.Faults);
    }

    [Fact]
    public async Task Random_faults_are_reproducible_for_a_seed()
    {
        static async Task<List<string>> RunAsync(int seed)
        {
            await using var sim = await SimulatorHost.StartAsync(o =>
            {
                o.FaultSeed = seed;
                o.ServerErrorRate = 0.3;
                o.CutBeforeFirstByteRate = 0.3;
            });
            using var client = SimClient.Create(sim);
            var outcomes = new List<string>();
            for (var i = 0; i < 16; i++)
            {
                try
                {
                    // A fresh connection each time: HttpClient silently retries a request cut on a reused one.
                    using var request = SimClient.ChatRequest(SimClient.Body());
                    request.Headers.ConnectionClose = true;
                    using var response = await client.SendAsync(request);
                    outcomes.Add(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (HttpRequestException)
                {
                    outcomes.Add("cut");
                }
            }
            return outcomes;
        }

        var first = await RunAsync(7);
        var second = await RunAsync(7);

        Assert.Equal(first, second);
        Assert.Contains("200", first);
        Assert.Contains("cut", first);
        Assert.Contains(first, o => o is "500" or "502" or "503");
    }

    // Waits for a server-side effect of a client action that has no completion signal of its own.
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
