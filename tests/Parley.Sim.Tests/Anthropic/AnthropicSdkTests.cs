using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Tokenizer;

namespace Parley.Sim.Tests.Anthropic;

/// <summary>The official Anthropic .NET SDK, unmodified but for its base URL, reads everything the Messages API
/// mode answers.</summary>
public sealed class AnthropicSdkTests
{
    private static AnthropicClient CreateClient(SimulatorHost sim) => new(new ClientOptions
    {
        ApiKey = SimClient.Key,
        BaseUrl = sim.Url.ToString().TrimEnd('/'),
        // The SDK would retry 429s and 5xx on its own; these tests want to see them.
        MaxRetries = 0,
        ResponseValidation = true,
    });

    private static readonly Tool WeatherTool = new()
    {
        Name = "get_weather",
        Description = "Weather by city",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement>
            {
                ["city"] = JsonDocument.Parse("""{"type":"string"}""").RootElement,
                ["days"] = JsonDocument.Parse("""{"type":"integer"}""").RootElement,
            },
            Required = ["city", "days"],
        },
    };

    [Fact]
    public async Task Sdk_reads_a_message()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 4);
        using var client = CreateClient(sim);

        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "sim-small",
            MaxTokens = 100,
            System = "Be brief.",
            Messages = [new UserMessageParam("hello")],
        });

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("Echo: hello lorem", text!.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal("sim-small", message.Model.Raw());
        Assert.StartsWith("msg_", message.ID);
        Assert.Equal(3 + 1, message.Usage.InputTokens); // "Be brief." + "hello"
        Assert.Equal(4, message.Usage.OutputTokens);
        var recorded = JsonDocument.Parse(sim.State.LastRequest!.Body).RootElement;
        Assert.Equal(100, recorded.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Sdk_reads_a_stream()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 6);
        using var client = CreateClient(sim);

        var text = new StringBuilder();
        var names = new List<string>();
        long? outputTokens = null;
        long? inputTokens = null;
        StopReason? stop = null;
        await foreach (var streamEvent in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "sim-small",
            MaxTokens = 5,
            Messages = [new UserMessageParam("hello")],
        }))
        {
            if (streamEvent.TryPickStart(out var start))
            {
                names.Add("message_start");
                inputTokens = start!.Message.Usage.InputTokens;
            }
            else if (streamEvent.TryPickContentBlockDelta(out var delta))
            {
                names.Add("content_block_delta");
                Assert.True(delta!.Delta.TryPickText(out var piece));
                text.Append(piece!.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                names.Add("message_delta");
                outputTokens = messageDelta!.Usage.OutputTokens;
                stop = messageDelta.Delta.StopReason?.Value();
            }
            else if (streamEvent.TryPickContentBlockStart(out _))
            {
                names.Add("content_block_start");
            }
            else if (streamEvent.TryPickContentBlockStop(out _))
            {
                names.Add("content_block_stop");
            }
            else if (streamEvent.TryPickStop(out _))
            {
                names.Add("message_stop");
            }
        }

        Assert.Equal("Echo: hello lorem ipsum", text.ToString());
        Assert.Equal(StopReason.MaxTokens, stop);
        Assert.Equal(1, inputTokens);
        Assert.Equal(5, outputTokens);
        // The SDK passes ping by; every other event arrives in order.
        Assert.Equal(["message_start", "content_block_start", .. Enumerable.Repeat("content_block_delta", 5), "content_block_stop", "message_delta", "message_stop"], names);
    }

    [Fact]
    public async Task Sdk_round_trips_a_tool_call()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 8);
        using var client = CreateClient(sim);
        var question = new UserMessageParam("Paris");

        var call = await client.Messages.Create(new MessageCreateParams
        {
            Model = "sim-small",
            MaxTokens = 100,
            Tools = [WeatherTool],
            Messages = [question],
        });
        Assert.Equal(StopReason.ToolUse, call.StopReason!.Value());
        Assert.True(call.Content[1].TryPickToolUse(out var toolUse));
        Assert.Equal("get_weather", toolUse!.Name);
        Assert.Equal("toolu_000000000000000000000001", toolUse.ID);
        Assert.Equal("Paris", toolUse.Input["city"].GetString());
        Assert.Equal(1, toolUse.Input["days"].GetInt32());

        var answer = await client.Messages.Create(new MessageCreateParams
        {
            Model = "sim-small",
            MaxTokens = 100,
            Tools = [WeatherTool],
            Messages =
            [
                question,
                new AssistantMessageParam(new List<ContentBlockParam>
                {
                    new TextBlockParam("Calling get_weather."),
                    new ToolUseBlockParam { ID = toolUse.ID, Name = toolUse.Name, Input = toolUse.Input },
                }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam(toolUse.ID) { Content = "sunny" } }),
            ],
        });

        Assert.True(answer.Content[0].TryPickText(out var text));
        Assert.Equal("Tool result: sunny lorem ipsum dolor sit", text!.Text);
        Assert.Equal(8, TiktokenEncoding.O200kBase.CountTokens(text.Text));
        Assert.Equal(StopReason.EndTurn, answer.StopReason!.Value());
    }

    [Fact]
    public async Task Sdk_sees_anthropics_errors()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ApiKeys = ["sk-other-key"]);
        using var client = CreateClient(sim);

        var failure = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Create(new MessageCreateParams
        {
            Model = "sim-small",
            MaxTokens = 10,
            Messages = [new UserMessageParam("hello")],
        }));

        Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        Assert.Contains("authentication_error", failure.ResponseBody, StringComparison.Ordinal);
        Assert.StartsWith("req_", failure.RequestID);
    }
}
