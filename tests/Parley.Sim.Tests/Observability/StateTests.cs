using System.Net;
using System.Text.Json;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Observability;

public sealed class StateTests
{
    [Fact]
    public async Task Recorded_bodies_are_the_raw_request_json_with_unknown_fields_intact()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);
        const string body = """{"model":"sim-small","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"x_custom":{"keep":[1,2]}}""";

        using var first = await client.PostChatAsync(body);
        await first.Content.ReadAsStringAsync();
        using var second = await client.PostChatAsync("{oops");

        var recorded = sim.State.RecentRequests;
        Assert.Equal(2, recorded.Count);
        Assert.Equal(body, recorded[0].Body);
        Assert.True(recorded[0].IsJson);
        Assert.Equal("/v1/chat/completions", recorded[0].Path);
        Assert.Equal(KeyHints.For(SimClient.Key), recorded[0].KeyHint);
        Assert.Equal("sk-...0001", recorded[0].KeyHint);
        Assert.Equal("{oops", recorded[1].Body);
        Assert.False(recorded[1].IsJson);
        Assert.Equal(recorded[1], sim.State.LastRequest);
        Assert.Equal(1, recorded[0].Sequence);
        Assert.Equal(2, recorded[1].Sequence);
    }

    [Fact]
    public async Task Only_the_last_n_bodies_are_kept()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.RecordedRequests = 3);
        using var client = SimClient.Create(sim);

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.PostChatAsync(SimClient.Body($"message {i}"));
        }

        Assert.Equal([3L, 4L, 5L], sim.State.RecentRequests.Select(r => r.Sequence));
        Assert.Contains("message 4", sim.State.LastRequest!.Body);
    }

    [Fact]
    public async Task Recording_can_be_turned_off()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.RecordedRequests = 0);
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(sim.State.RecentRequests);
        Assert.Null(sim.State.LastRequest);
    }

    [Fact]
    public async Task Stats_and_requests_are_served_over_http_and_reset_clears_them()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);
        using var ok = await client.PostChatAsync(SimClient.Body(extra: ",\"unknown_field\":true"));
        using var fault = await client.PostChatAsync(SimClient.Body(), ("x-sim-fault", "502"));
        using var bad = await client.PostChatAsync("[");

        var stats = await (await client.GetAsync("sim/stats")).JsonAsync();
        var requests = await (await client.GetAsync("sim/requests")).JsonAsync();

        Assert.Equal(3, stats.GetProperty("requests_received").GetInt64());
        Assert.Equal(1, stats.GetProperty("completed").GetInt64());
        Assert.Equal(1, stats.GetProperty("faults").GetInt64());
        Assert.Equal(1, stats.GetProperty("bad_requests").GetInt64());
        Assert.Equal(0, stats.GetProperty("in_flight").GetInt64());
        Assert.Equal(1, stats.GetProperty("faults_by_kind").GetProperty("502").GetInt64());
        Assert.Equal(3, stats.GetProperty("requests_by_key").GetProperty("sk-...0001").GetInt64());
        Assert.DoesNotContain(SimClient.Key, stats.GetRawText());
        var data = requests.GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        Assert.True(data[0].GetProperty("body").GetProperty("unknown_field").GetBoolean());
        Assert.Equal(JsonValueKind.String, data[2].GetProperty("body").ValueKind);
        Assert.Equal("[", data[2].GetProperty("body").GetString());

        using var reset = await client.PostAsync("sim/reset", null);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, sim.State.RequestsReceived);
        Assert.Empty(sim.State.RecentRequests);
        Assert.Equal(0, sim.State.RequestsFor(SimClient.Key));
    }
}
