using System.Text.Json;
using Parley.Cli.Tests.Infrastructure;
using Parley.Documents.Chunking;
using Parley.Documents.Pipeline;
using Parley.Sim.Hosting;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Cli.Tests.Documents;

public sealed class SmallWindowSilo : CliSilo
{
    public const int Window = 4096;

    /// <summary>The simulator refuses (400 context_length_exceeded) any prompt that with its max_tokens exceeds the
    /// window, as OpenAI does; the silo knows the same window.</summary>
    protected override void ConfigureSimulator(SimulatorOptions options)
    {
        options.ContextWindow = Window;
        options.ResponseTokens = 200;
    }

    protected override void Configure(IDictionary<string, string?> settings)
        => settings[$"Parley:Models:{Model}:ContextWindow"] = Window.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>`parley summarize` and `parley map` as processes on a 200-page text against a simulator whose window is
/// 4,096 tokens.</summary>
public sealed class SummarizeTests(SmallWindowSilo silo) : IClassFixture<SmallWindowSilo>, IAsyncLifetime
{
    private const int MaxOutput = 256;
    private const int Overlap = 100;
    private ParleyProcess _cli = null!;

    public async Task InitializeAsync()
    {
        silo.SimState.Reset();
        _cli = ParleyProcess.WithTemporaryHome();
        await _cli.LoginAsync(silo.Server, silo.UserKey);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_200_page_text_is_sent_chunk_by_chunk_each_once_every_prompt_within_the_window()
    {
        var text = LongText.Pages(200);
        var path = Path.Combine(_cli.Home, "report.txt");
        await File.WriteAllTextAsync(path, text);

        var result = await _cli.RunAsync(["summarize", path, "--context-window", SmallWindowSilo.Window.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-output-tokens", MaxOutput.ToString(System.Globalization.CultureInfo.InvariantCulture), "--overlap", Overlap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--concurrency", "6", "--json"], timeout: TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonDocument.Parse(result.Output).RootElement;
        var chunkTokens = summary.GetProperty("chunk_tokens").GetInt32();
        // The chunks the pipeline must have made, recomputed with the same tokenizer and rules.
        var expected = new TextChunker(TiktokenEncoding.O200kBase, new ChunkingOptions(chunkTokens, Overlap)).Chunk(text);
        // 200 pages of 300 words are about 70,000 tokens: at least that many tokens over chunks of ~3,700 (overlap repeats some).
        var textTokens = TiktokenEncoding.O200kBase.CountTokens(text);
        Assert.True(textTokens > 60_000, $"the text is {textTokens} tokens");
        Assert.True(expected.Count >= (textTokens + chunkTokens - 1) / chunkTokens, $"{expected.Count} chunks of {chunkTokens} tokens for {textTokens} tokens");
        Assert.Equal(expected.Count, summary.GetProperty("chunks").GetArrayLength());
        Assert.All(expected, c => Assert.InRange(c.Tokens, 1, chunkTokens));

        var counter = new ChatTokenCounter(TiktokenEncoding.O200kBase);
        var requests = silo.SimState.RecentRequests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).ToList();
        var maps = new List<string>();
        var reduces = 0;
        foreach (var request in requests)
        {
            using var body = JsonDocument.Parse(request.Body);
            var messages = body.RootElement.GetProperty("messages").EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString())).ToArray();
            var maxTokens = body.RootElement.GetProperty("max_tokens").GetInt32();
            Assert.Equal(MaxOutput, maxTokens);
            Assert.True(counter.CountPrompt(messages) + maxTokens <= SmallWindowSilo.Window, "a prompt and its reply allowance exceed the window");
            if (messages[0].Content == PipelineOptions.DefaultSummarizeMapInstruction)
            {
                maps.Add(messages[1].Content!);
            }
            else
            {
                Assert.Equal(PipelineOptions.DefaultSummarizeReduceInstruction, messages[0].Content);
                reduces++;
            }
        }
        // Each chunk was sent exactly once, as cut.
        Assert.Equal(expected.Select(c => c.Text).Order(StringComparer.Ordinal), maps.Order(StringComparer.Ordinal));
        Assert.True(summary.GetProperty("reduce_levels").GetInt32() >= 2, "the partial summaries of ~20 chunks (200 tokens each) do not fit one prompt");
        Assert.Equal(expected.Count + reduces, summary.GetProperty("calls").GetInt32());
        Assert.Equal(0, silo.SimState.BadRequests);
        // Every paragraph is in some chunk.
        var paragraphs = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(paragraphs, p => Assert.Contains(expected, c => c.Text.Contains(p[..p.IndexOf('.', StringComparison.Ordinal)] + ".", StringComparison.Ordinal)));
        Assert.StartsWith("Echo: Part 1:", summary.GetProperty("answer").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_applies_the_prompt_to_every_chunk_and_prints_each_answer_without_merging()
    {
        var text = LongText.Pages(12);

        var result = await _cli.RunAsync(["map", "-", "--prompt", "List the numbers mentioned.", "--no-merge", "--context-window", "4096",
            "--max-output-tokens", "256"], stdin: text);

        Assert.True(result.ExitCode == 0, result.ToString());
        var requests = silo.SimState.RecentRequests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).ToList();
        Assert.All(requests, r => Assert.Contains("\"List the numbers mentioned.\"", r.Body, StringComparison.Ordinal));
        Assert.Equal(requests.Count, result.Output.Split('\n').Count(l => l.StartsWith("--- chunk ", StringComparison.Ordinal)));
        Assert.Contains($"map: {requests.Count} chunks", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_window_too_small_for_the_reply_is_a_usage_error()
    {
        var result = await _cli.RunAsync(["summarize", "-", "--context-window", "600", "--max-output-tokens", "512"], stdin: "Some text.");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("parley: error: A context window of 600 tokens is too small for replies of 512 tokens", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, silo.SimState.RequestsReceived);
    }
}
