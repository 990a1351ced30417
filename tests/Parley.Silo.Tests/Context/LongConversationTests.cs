using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Context.ContextBudgetTests;
using static Parley.Silo.Tests.Context.PromptTokenCountTests;

namespace Parley.Silo.Tests.Context;

/// <summary>500 turns through the facade. The simulator refuses any prompt over the model's window with OpenAI's 400,
/// so a single budget breach fails the test; the summariser is the model itself, over the same simulator.</summary>
public sealed class LongConversationTests
{
    private const int Turns = 500;
    private const int Window = 1000;
    private const int Budget = Window - Window / 4;
    private const string SummaryHeading = "Summary of the earlier part of this conversation";
    private const string SummarizerInstructions = "You maintain the running summary";

    [Fact]
    public async Task Every_prompt_fits_the_newest_turns_are_always_sent_and_the_summary_is_used_once_available()
    {
        await using var harness = await SiloHarness.StartAsync(cfg =>
        {
            cfg[$"Parley:Models:{SmallModel}:Provider"] = SiloHarness.ProviderName;
            cfg[$"Parley:Models:{SmallModel}:UpstreamModel"] = SiloHarness.UpstreamModel;
            cfg[$"Parley:Models:{SmallModel}:Encoding"] = "o200k_base";
            cfg[$"Parley:Models:{SmallModel}:ContextWindow"] = Window.ToString();
            cfg["Parley:Conversations:Context:SummaryMaxTokens"] = "64";
            cfg["Parley:Conversations:Context:SummaryMaxInputTokens"] = "400";
        }, sim =>
        {
            sim.ContextWindow = Window;
            sim.RecordedRequests = 2 * Turns;
        });
        var (_, key) = await harness.CreateUserAsync("long");
        var client = harness.CreateClient(key);
        var id = await CreateConversationAsync(client, """{"system_prompt":"You are the memory test assistant."}""");
        var random = new Random(7);
        string[] words = ["river", "stone", "lamp", "orbit", "maple", "cipher", "harbor", "velvet", "quartz", "meadow", "炉", "雪", "über", "42"];
        var sentTexts = new List<string>(Turns);
        var firstSummarized = -1;

        for (var turn = 0; turn < Turns; turn++)
        {
            var text = $"Turn {turn}: " + string.Join(' ', Enumerable.Range(0, random.Next(5, 40)).Select(_ => words[random.Next(words.Length)]));
            sentTexts.Add(text);
            using var response = await SendTurnAsync(client, id, text);
            var body = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"turn {turn}: {(int)response.StatusCode} {body}");
            var promptTokens = int.Parse(Header(response, "x-parley-prompt-tokens")!);
            Assert.Equal(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), promptTokens);
            Assert.InRange(promptTokens, 1, Budget);
            if (Header(response, "x-parley-context-summary") == "used")
            {
                firstSummarized = firstSummarized < 0 ? turn : firstSummarized;
            }
            else
            {
                Assert.True(firstSummarized < 0, $"turn {turn} went without the summary that turn {firstSummarized} had");
            }
        }
        Assert.InRange(firstSummarized, 1, Turns / 4);

        // Every prompt the upstream saw for this conversation, in order (summariser calls are told apart by their instructions).
        var prompts = harness.SimState.RecentRequests
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("messages").EnumerateArray().Select(m => m.Clone()).ToList())
            .Where(m => !Content(m[0]).StartsWith(SummarizerInstructions, StringComparison.Ordinal))
            .ToList();
        var summarizerCalls = harness.SimState.RecentRequests.Count - prompts.Count;
        Assert.Equal(Turns, prompts.Count);
        Assert.True(summarizerCalls >= 10, $"only {summarizerCalls} summariser calls");
        for (var turn = 0; turn < Turns; turn++)
        {
            var messages = prompts[turn];
            Assert.Equal("You are the memory test assistant.", Content(messages[0]));
            Assert.Equal(sentTexts[turn], Content(messages[^1]));
            if (turn > 0)
            {
                // The previous turn is always there whole: its question, then its answer.
                Assert.Equal("assistant", messages[^2].GetProperty("role").GetString());
                Assert.Equal(sentTexts[turn - 1], Content(messages[^3]));
            }
            var hasSummary = messages.Count > 1 && Content(messages[1]).StartsWith(SummaryHeading, StringComparison.Ordinal);
            Assert.Equal(turn >= firstSummarized, hasSummary);
        }
    }

    private static string Content(JsonElement message) => message.GetProperty("content").GetString() ?? "";
}
