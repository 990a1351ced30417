using System.Net;
using System.Text.Json;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Sim.Tests.Anthropic;

public sealed class MessagesStreamingTests
{
    [Fact]
    public async Task Stream_is_anthropics_event_sequence()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 5);
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.SendAsync(AnthropicSimClient.MessagesRequest(AnthropicSimClient.Body("hello", extra: ",\"stream\":true")), HttpCompletionOption.ResponseHeadersRead);
        var events = await new SseEventReader(await response.Content.ReadAsStreamAsync()).ReadAllAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta",
             "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        var message = events[0].Data.GetProperty("message");
        Assert.StartsWith("msg_", message.GetProperty("id").GetString());
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("sim-small", message.GetProperty("model").GetString());
        Assert.Empty(message.GetProperty("content").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_reason").ValueKind);
        Assert.Equal(1, message.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(1, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("""{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""", events[1].Data.GetRawText());
        Assert.Equal("""{"type":"ping"}""", events[2].Data.GetRawText());
        Assert.All(events[3..8], e => Assert.Equal(0, e.Data.GetProperty("index").GetInt32()));
        Assert.All(events[3..8], e => Assert.Equal("text_delta", e.Data.GetProperty("delta").GetProperty("type").GetString()));
        Assert.Equal(["Echo", ":", " hello", " lorem", " ipsum"], events[3..8].Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("""{"type":"content_block_stop","index":0}""", events[8].Data.GetRawText());
        Assert.Equal("""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}""", events[9].Data.GetRawText());
        Assert.Equal("""{"type":"message_stop"}""", events[10].Data.GetRawText());
        Assert.Equal(1, sim.State.Completed);
    }

    [Fact]
    public async Task Streamed_text_matches_the_message_in_chunks_of_tokens_per_chunk()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.TokensPerChunk = 3);
        using var client = AnthropicSimClient.Create(sim);

        using var plain = await client.PostMessagesAsync(AnthropicSimClient.Body("hello world, again"));
        using var streamed = await client.PostMessagesAsync(AnthropicSimClient.Body("hello world, again", extra: ",\"stream\":true"));
        var events = await new SseEventReader(await streamed.Content.ReadAsStreamAsync()).ReadAllAsync();

        var deltas = events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()).ToList();
        Assert.Equal(7, deltas.Count); // 20 tokens in chunks of 3
        Assert.Equal("Echo: hello", deltas[0]);
        var expected = (await plain.JsonAsync()).GetProperty("content")[0].GetProperty("text").GetString();
        Assert.Equal(expected, string.Concat(deltas));
    }

    [Fact]
    public async Task Stop_sequence_and_max_tokens_end_the_stream_with_their_reason()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var stopped = await client.PostMessagesAsync(AnthropicSimClient.Body("hello", extra: ",\"stream\":true,\"stop_sequences\":[\"ipsum\"]"));
        using var cut = await client.PostMessagesAsync(AnthropicSimClient.Body("hello", maxTokens: 2, extra: ",\"stream\":true"));
        var stoppedEvents = await new SseEventReader(await stopped.Content.ReadAsStreamAsync()).ReadAllAsync();
        var cutEvents = await new SseEventReader(await cut.Content.ReadAsStreamAsync()).ReadAllAsync();

        Assert.Equal(["Echo", ":", " hello", " lorem", " "], stoppedEvents.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("""{"stop_reason":"stop_sequence","stop_sequence":"ipsum"}""", stoppedEvents[^2].Data.GetProperty("delta").GetRawText());
        Assert.Equal(5, stoppedEvents[^2].Data.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(2, cutEvents.Count(e => e.Name == "content_block_delta"));
        Assert.Equal("max_tokens", cutEvents[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task Deltas_are_flushed_one_by_one_at_the_configured_pace()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.ResponseTokens = 3;
            o.TimeToFirstToken = TimeSpan.FromSeconds(2);
            o.TokensPerSecond = 2;
        }, clock);
        using var client = AnthropicSimClient.Create(sim);

        var sending = client.SendAsync(AnthropicSimClient.MessagesRequest(AnthropicSimClient.Body("hello", extra: ",\"stream\":true")), HttpCompletionOption.ResponseHeadersRead);
        await clock.WaitForActiveTimersAsync(1);
        Assert.False(sending.IsCompleted); // nothing is sent before the first token is due
        clock.Advance(TimeSpan.FromSeconds(2));
        using var response = await sending;
        using var stream = new SseEventReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal("message_start", (await stream.NextAsync())!.Name);
        Assert.Equal("content_block_start", (await stream.NextAsync())!.Name);
        Assert.Equal("ping", (await stream.NextAsync())!.Name);
        Assert.Equal("Echo", (await stream.NextAsync())!.Data.GetProperty("delta").GetProperty("text").GetString());
        var next = stream.NextAsync();
        await clock.WaitForActiveTimersAsync(1);
        Assert.False(next.IsCompleted); // the second token is due half a second later
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(":", (await next)!.Data.GetProperty("delta").GetProperty("text").GetString());
        await clock.WaitForActiveTimersAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(" hello", (await stream.NextAsync())!.Data.GetProperty("delta").GetProperty("text").GetString());
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], (await stream.ReadAllAsync()).Select(e => e.Name));
    }

    [Fact]
    public async Task Non_streaming_message_waits_for_the_whole_generation_time()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.ResponseTokens = 5;
            o.TimeToFirstToken = TimeSpan.FromSeconds(1);
            o.TokensPerSecond = 1;
        }, clock);
        using var client = AnthropicSimClient.Create(sim);

        var sending = client.PostMessagesAsync(AnthropicSimClient.Body("hello"));
        await clock.WaitForActiveTimersAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(4_900)); // the last of 5 tokens is due at 1 s + 4 s
        Assert.False(sending.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        using var response = await sending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData("4", 4)]
    [InlineData("100", 10)] // longer than the stream: still cut, before message_stop
    public async Task Cut_mid_stream_truncates_the_event_stream(string? cutAfter, int expectedEvents)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 5);
        using var client = AnthropicSimClient.Create(sim);
        var headers = cutAfter is null ? new[] { ("x-sim-fault", "cut-mid-stream") } : [("x-sim-fault", "cut-mid-stream"), ("x-sim-cut-after-chunks", cutAfter)];

        using var response = await client.SendAsync(AnthropicSimClient.MessagesRequest(AnthropicSimClient.Body("hello", extra: ",\"stream\":true"), headers), HttpCompletionOption.ResponseHeadersRead);
        using var stream = new SseEventReader(await response.Content.ReadAsStreamAsync());
        var received = new List<string>();
        var failure = await Record.ExceptionAsync(async () =>
        {
            while (await stream.NextAsync() is { } next)
            {
                received.Add(next.Name);
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(expectedEvents, received.Count);
        Assert.DoesNotContain("message_stop", received);
        Assert.Equal(1, sim.State.FaultsOf(SimFault.CutMidStream));
        Assert.Equal(0, sim.State.Completed);
    }
}
