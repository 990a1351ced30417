using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Hosting;

/// <summary>The official OpenAI .NET SDK, unmodified but for its endpoint, reads everything the simulator answers.</summary>
public sealed class OpenAISdkTests
{
    private static ChatClient CreateClient(SimulatorHost sim, string model = "sim-small") => new(model, new ApiKeyCredential(SimClient.Key), new OpenAIClientOptions
    {
        Endpoint = sim.BaseUrl,
        // The SDK would retry 429s and 5xx on its own; these tests want to see them.
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    [Fact]
    public async Task Sdk_reads_a_completion()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 4);
        var client = CreateClient(sim);

        ChatCompletion completion = await client.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("hello")]);

        Assert.Equal("Echo: hello lorem", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal("sim-small", completion.Model);
        Assert.Equal(4, completion.Usage.OutputTokenCount);
        // (3 + "system" 1 + "Be brief." 3) + (3 + "user" 1 + "hello" 1) + 3 to prime the reply.
        Assert.Equal(15, completion.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Sdk_reads_a_stream_with_usage()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 6);
        var client = CreateClient(sim);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("hello")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("Echo: hello lorem ipsum", text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(5, usage.OutputTokenCount);
        Assert.Equal(8, usage.InputTokenCount);
        Assert.Contains("\"include_usage\":true", sim.State.LastRequest!.Body);
    }

    [Fact]
    public async Task Sdk_surfaces_errors_with_their_status()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.RequestsPerWindow = 1);
        var client = CreateClient(sim);
        var unknownModel = CreateClient(sim, "gpt-unknown");

        await client.CompleteChatAsync([new UserChatMessage("one")]);
        var limited = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("two")]));
        var notFound = await Assert.ThrowsAsync<ClientResultException>(() => unknownModel.CompleteChatAsync([new UserChatMessage("three")]));

        Assert.Equal(429, limited.Status);
        Assert.Contains("Rate limit reached", limited.Message);
        Assert.Equal(404, notFound.Status);
        Assert.Contains("model_not_found", notFound.Message);
    }
}
