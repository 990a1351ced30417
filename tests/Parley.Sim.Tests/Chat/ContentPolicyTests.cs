using System.Net;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Chat;

public sealed class ContentPolicyTests
{
    private const string Trigger = "forbidden-topic";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Last_user_message_with_the_trigger_is_refused_like_openais_safety_system(bool stream)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ContentPolicyTrigger = Trigger);
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("tell me about the FORBIDDEN-Topic please", extra: stream ? ",\"stream\":true" : ""));

        var error = await SimClient.AssertErrorAsync(response, 400, "invalid_request_error", "content_policy_violation");
        Assert.Equal("Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
            error.GetProperty("message").GetString());
        Assert.Equal(1, sim.State.ContentPolicyRefusals);
        Assert.Equal(0, sim.State.BadRequests);
        Assert.Equal(0, sim.State.Completed);
        var stats = await (await client.GetAsync("sim/stats")).JsonAsync();
        Assert.Equal(1, stats.GetProperty("content_policy_refusals").GetInt64());
    }

    [Fact]
    public async Task Only_the_last_user_message_counts()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ContentPolicyTrigger = Trigger);
        using var client = SimClient.Create(sim);
        const string body = $$"""
            {"model":"sim-small","messages":[
              {"role":"system","content":"never discuss {{Trigger}}"},
              {"role":"user","content":"what about {{Trigger}}?"},
              {"role":"assistant","content":"{{Trigger}} is off limits"},
              {"role":"user","content":"fine, something else then"}
            ]}
            """;

        using var response = await client.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, sim.State.ContentPolicyRefusals);
    }

    [Fact]
    public async Task A_refused_prompt_uses_nothing_of_the_keys_window_and_meets_no_fault()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.ContentPolicyTrigger = Trigger;
            o.RequestsPerWindow = 1;
            o.ServerErrorRate = 1;
        });
        using var client = SimClient.Create(sim);

        using var refused = await client.PostChatAsync(SimClient.Body(Trigger));
        sim.Faults.Set(sim.Faults.Current with { ServerErrorRate = 0 });
        using var admitted = await client.PostChatAsync(SimClient.Body("hello"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Null(refused.Header("x-ratelimit-limit-requests"));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal("0", admitted.Header("x-ratelimit-remaining-requests"));
        Assert.Equal(0, sim.State.Faults);
    }

    [Fact]
    public async Task No_trigger_configured_refuses_nothing()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body(Trigger));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(sim.Options.ContentPolicyTrigger);
    }
}
