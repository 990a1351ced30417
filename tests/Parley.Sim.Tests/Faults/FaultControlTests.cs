using System.Net;
using System.Text;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Sim.Tests.Faults;

public sealed class FaultControlTests
{
    [Fact]
    public async Task Get_shows_the_configured_settings()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.ServerErrorRate = 0.125;
            o.CutMidStreamRate = 0.25;
            o.TimeToFirstToken = TimeSpan.FromMilliseconds(40);
            o.FaultSeed = 99;
        });
        using var client = SimClient.Create(sim);

        var json = await client.GetStringAsync("sim/faults");

        Assert.Equal("""{"server_error_rate":0.125,"rate_limit_rate":0,"timeout_rate":0,"cut_mid_stream_rate":0.25,"cut_before_first_byte_rate":0,"time_to_first_token_ms":40,"rate_limit_retry_after_ms":1000,"fault_seed":99}""", json);
    }

    [Fact]
    public async Task Post_changes_only_the_given_settings_and_takes_effect_on_the_next_request()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.CutMidStreamRate = 0.5);
        using var client = SimClient.Create(sim);
        using var before = await client.PostChatAsync(SimClient.Body(), ("x-sim-fault", "500")); // forced faults are unaffected either way

        using var changed = await PostFaultsAsync(client, """{"server_error_rate":0.5,"cut_mid_stream_rate":0,"rate_limit_rate":0.5}""");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await client.PostChatAsync(SimClient.Body());
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var settings = await changed.JsonAsync();
        Assert.Equal(0.5, settings.GetProperty("server_error_rate").GetDouble());
        Assert.Equal(0.5, settings.GetProperty("rate_limit_rate").GetDouble());
        Assert.Equal(0, settings.GetProperty("cut_mid_stream_rate").GetDouble());
        Assert.Equal(1000, settings.GetProperty("rate_limit_retry_after_ms").GetDouble());
        Assert.Equal(SimulatorOptions.DefaultFaultSeed, settings.GetProperty("fault_seed").GetInt32());
        Assert.Equal(new FaultRates(0.5, 0.5, 0, 0, 0, TimeSpan.Zero, TimeSpan.FromSeconds(1)), sim.Faults.Current);
        // The rates add up to 1: every request fails, as a 5xx or a 429.
        Assert.All(statuses, s => Assert.Contains((int)s, new[] { 429, 500, 502, 503 }));
        Assert.Equal(8 + 1, sim.State.Faults);
        Assert.Equal(0.5, sim.Options.CutMidStreamRate); // the configured options stay as they were
    }

    [Fact]
    public async Task Time_to_first_token_changes_at_run_time()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(timeProvider: clock);
        using var client = SimClient.Create(sim);

        using var changed = await PostFaultsAsync(client, """{"time_to_first_token_ms":2500}""");
        var sending = client.PostChatAsync(SimClient.Body());
        await clock.WaitForActiveTimersAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(2499));
        Assert.False(sending.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        using var response = await sending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), sim.Faults.Current.TimeToFirstToken);
    }

    [Theory]
    [InlineData("""{"server_error_rate":1.5}""", "decimal_above_max_value", "server_error_rate")]
    [InlineData("""{"timeout_rate":-0.1}""", "decimal_below_min_value", "timeout_rate")]
    [InlineData("""{"rate_limit_rate":"half"}""", "invalid_type", "rate_limit_rate")]
    [InlineData("""{"server_error_rate":0.6,"timeout_rate":0.6}""", "invalid_value", null)]
    [InlineData("""{"time_to_first_token_ms":-1}""", "decimal_below_min_value", "time_to_first_token_ms")]
    [InlineData("""{"rate_limit_retry_after_ms":0}""", "invalid_value", "rate_limit_retry_after_ms")]
    [InlineData("""{"fault_seed":1.5}""", "invalid_type", "fault_seed")]
    [InlineData("""{"server_eror_rate":0.1}""", "invalid_value", "server_eror_rate")]
    [InlineData("""[0.1]""", "invalid_type", "body")]
    [InlineData("""{"server_error_rate":""", null, null)]
    [InlineData("", null, null)]
    public async Task Bad_settings_are_a_400_and_change_nothing(string body, string? code, string? param)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.TimeoutRate = 0.1);
        using var client = SimClient.Create(sim);
        var before = sim.Faults.Current;

        using var response = await PostFaultsAsync(client, body);

        await SimClient.AssertErrorAsync(response, 400, "invalid_request_error", code, param);
        Assert.Same(before, sim.Faults.Current);
    }

    [Fact]
    public async Task Fault_routes_need_a_key()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim, key: null);

        using var get = await client.GetAsync("sim/faults");
        using var post = await PostFaultsAsync(client, """{"server_error_rate":1}""");

        await SimClient.AssertErrorAsync(get, 401, "invalid_request_error", null);
        await SimClient.AssertErrorAsync(post, 401, "invalid_request_error", null);
        Assert.Equal(0, sim.Faults.Current.ServerErrorRate);
    }

    [Fact]
    public async Task A_posted_seed_and_a_reset_replay_the_same_faults()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.ServerErrorRate = 0.4;
            o.FaultSeed = 3;
        });
        using var client = SimClient.Create(sim);

        var fresh = await OutcomesAsync(client, 12);
        using var reseeded = await PostFaultsAsync(client, """{"fault_seed":3}""");
        var afterSeed = await OutcomesAsync(client, 12);
        using var changed = await PostFaultsAsync(client, """{"server_error_rate":0,"fault_seed":8}""");
        using var reset = await client.PostAsync("sim/reset", null);
        var afterReset = await OutcomesAsync(client, 12);

        Assert.Contains(200, fresh);
        Assert.Contains(fresh, s => s >= 500);
        Assert.Equal(fresh, afterSeed);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(fresh, afterReset); // back to the configured rate and seed
        Assert.Equal(FaultRates.From(sim.Options), sim.Faults.Current);
        Assert.Equal(3, sim.Faults.Seed);
    }

    [Fact]
    public void Set_refuses_settings_out_of_range()
    {
        var control = new FaultControl(Microsoft.Extensions.Options.Options.Create(new SimulatorOptions()));

        Assert.Throws<ArgumentException>(() => control.Set(control.Current with { RateLimitRate = 2 }));
        Assert.Throws<ArgumentException>(() => control.Set(control.Current with { ServerErrorRate = 0.5, CutBeforeFirstByteRate = 0.6 }));
        Assert.Throws<ArgumentException>(() => control.Set(control.Current with { RateLimitRetryAfter = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => control.Set(control.Current with { TimeToFirstToken = TimeSpan.FromMilliseconds(-1) }));
        Assert.Equal(FaultRates.From(new SimulatorOptions()), control.Current);
    }

    private static Task<HttpResponseMessage> PostFaultsAsync(HttpClient client, string body)
        => client.PostAsync("sim/faults", new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<List<int>> OutcomesAsync(HttpClient client, int count)
    {
        var outcomes = new List<int>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.PostChatAsync(SimClient.Body());
            outcomes.Add((int)response.StatusCode);
        }
        return outcomes;
    }
}
