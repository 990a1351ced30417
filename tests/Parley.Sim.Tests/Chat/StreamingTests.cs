using System.Net;
using System.Text.Json;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Sim.Tests.Chat;

public sealed class StreamingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stream_is_openai_chunks_ending_with_done(bool includeUsage)
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 5, clock);
        using var client = SimClient.Create(sim);
        var extra = includeUsage ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : ",\"stream\":true";

        using var response = await client.SendAsync(SimClient.ChatRequest(SimClient.Body("hello", extra: extra)), HttpCompletionOption.ResponseHeadersRead);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());
        var events = await sse.ReadAllAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(SseReader.Done, events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        // Role chunk, 5 content chunks, finish chunk, and the usage chunk when asked for.
        Assert.Equal(includeUsage ? 8 : 7, chunks.Count);
        var id = chunks[0].GetProperty("id").GetString();
        Assert.StartsWith("chatcmpl-", id);
        foreach (var chunk in chunks)
        {
            Assert.Equal(id, chunk.GetProperty("id").GetString());
            Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString());
            Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds(), chunk.GetProperty("created").GetInt64());
            Assert.Equal("sim-small", chunk.GetProperty("model").GetString());
            Assert.Equal(includeUsage, chunk.TryGetProperty("usage", out _));
        }

        var choiceChunks = includeUsage ? chunks[..^1] : chunks;
        var choices = choiceChunks.Select(c => Assert.Single(c.GetProperty("choices").EnumerateArray())).ToList();
        Assert.All(choices, c => Assert.Equal(0, c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("logprobs").ValueKind));
        Assert.Equal("assistant", choices[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("", choices[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(["Echo", ":", " hello", " lorem", " ipsum"], choices[1..^1].Select(c => c.GetProperty("delta").GetProperty("content").GetString()));
        Assert.All(choices[1..^1], c => Assert.False(c.GetProperty("delta").TryGetProperty("role", out _)));
        Assert.All(choices[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("finish_reason").ValueKind));
        Assert.Empty(choices[^1].GetProperty("delta").EnumerateObject());
        Assert.Equal("stop", choices[^1].GetProperty("finish_reason").GetString());

        if (includeUsage)
        {
            Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
            var last = chunks[^1];
            Assert.Empty(last.GetProperty("choices").EnumerateArray());
            var usage = last.GetProperty("usage");
            Assert.Equal(8, usage.GetProperty("prompt_tokens").GetInt32());
            Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt32());
            Assert.Equal(13, usage.GetProperty("total_tokens").GetInt32());
        }
    }

    [Fact]
    public async Task Streamed_max_tokens_ends_with_finish_reason_length()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hello", extra: ",\"stream\":true,\"max_tokens\":2"));
        var events = await new SseReader(await response.Content.ReadAsStreamAsync()).ReadAllAsync();

        var finish = JsonDocument.Parse(events[^2]).RootElement.GetProperty("choices")[0];
        Assert.Equal("length", finish.GetProperty("finish_reason").GetString());
        Assert.Equal(5, events.Count); // role, "Echo", ":", finish, [DONE]
    }

    [Fact]
    public async Task Tokens_per_chunk_groups_tokens_and_the_text_matches_the_non_streaming_answer()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.TokensPerChunk = 3);
        using var client = SimClient.Create(sim);

        using var plain = await client.PostChatAsync(SimClient.Body("hello world, again"));
        using var streamed = await client.PostChatAsync(SimClient.Body("hello world, again", extra: ",\"stream\":true"));
        var events = await new SseReader(await streamed.Content.ReadAsStreamAsync()).ReadAllAsync();

        var contents = events[1..^2].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()).ToList();
        Assert.Equal(7, contents.Count); // 20 tokens in chunks of 3
        Assert.Equal("Echo: hello", contents[0]);
        var expected = (await plain.JsonAsync()).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(expected, string.Concat(contents));
    }

    [Fact]
    public async Task Chunks_are_flushed_one_by_one_at_the_configured_pace()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await StartPacedAsync(clock, responseTokens: 3, timeToFirstToken: TimeSpan.FromSeconds(2), tokensPerSecond: 2);
        using var client = SimClient.Create(sim);

        var sending = client.SendAsync(SimClient.ChatRequest(SimClient.Body("hello", extra: ",\"stream\":true")), HttpCompletionOption.ResponseHeadersRead);
        await clock.WaitForActiveTimersAsync(1);
        Assert.False(sending.IsCompleted); // nothing is sent before the first token is due
        clock.Advance(TimeSpan.FromSeconds(2));
        using var response = await sending;
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());

        Assert.Contains("\"role\":\"assistant\"", await sse.NextAsync());
        Assert.Contains("\"content\":\"Echo\"", await sse.NextAsync());
        var next = sse.NextAsync();
        await clock.WaitForActiveTimersAsync(1);
        Assert.False(next.IsCompleted); // the second token is due half a second later
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Contains("\"content\":\":\"", await next);
        await clock.WaitForActiveTimersAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Contains("\"content\":\" hello\"", await sse.NextAsync());
        Assert.Contains("\"finish_reason\":\"stop\"", await sse.NextAsync());
        Assert.Equal(SseReader.Done, await sse.NextAsync());
        Assert.Null(await sse.NextAsync());
    }

    [Fact]
    public async Task Non_streaming_answer_waits_for_the_whole_generation_time()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await StartPacedAsync(clock, responseTokens: 5, timeToFirstToken: TimeSpan.FromSeconds(1), tokensPerSecond: 1);
        using var client = SimClient.Create(sim);

        var sending = client.PostChatAsync(SimClient.Body("hello"));
        await clock.WaitForActiveTimersAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(4_900)); // the last of 5 tokens is due at 1 s + 4 s
        Assert.False(sending.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        using var response = await sending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<SimulatorHost> StartPacedAsync(ManualTimeProvider clock, int responseTokens, TimeSpan timeToFirstToken, double tokensPerSecond)
        => SimulatorHost.StartAsync(o =>
        {
            o.ResponseTokens = responseTokens;
            o.TimeToFirstToken = timeToFirstToken;
            o.TokensPerSecond = tokensPerSecond;
        }, clock);
}
