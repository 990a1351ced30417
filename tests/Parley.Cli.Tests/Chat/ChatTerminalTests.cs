using System.Text.RegularExpressions;
using Parley.Cli.Tests.Infrastructure;
using Parley.Sim.Hosting;

namespace Parley.Cli.Tests.Chat;

/// <summary>A simulator that writes its answers at 20 tokens a second: 150 tokens take 7.5 s, long enough to watch
/// an answer arrive and to cancel it half-way.</summary>
public sealed class SlowStreamSilo : CliSilo
{
    public const int AnswerTokens = 150;

    protected override void ConfigureSimulator(SimulatorOptions options)
    {
        options.ResponseTokens = AnswerTokens;
        options.TokensPerSecond = 20;
    }
}

/// <summary>`parley chat` in a real terminal (tmux): the answer appears while the upstream is still writing it,
/// Ctrl-C cancels that answer and the session goes on in the same conversation, Ctrl-D leaves with status 0.</summary>
public sealed partial class ChatTerminalTests(SlowStreamSilo silo) : IClassFixture<SlowStreamSilo>
{
    [Fact]
    public async Task Answers_stream_in_and_ctrl_c_cancels_the_answer_not_the_session()
    {
        silo.SimState.Reset();
        var cli = ParleyProcess.WithTemporaryHome();
        await cli.LoginAsync(silo.Server, silo.UserKey);
        await using var terminal = await TmuxTerminal.StartAsync(cli.ShellCommand(["chat"]));

        var welcome = await terminal.WaitForAsync(s => s.Contains("you>", StringComparison.Ordinal), "the prompt");
        var conversation = ConversationId().Match(welcome).Value;
        Assert.StartsWith("conv_", conversation, StringComparison.Ordinal);

        // Streaming: part of the answer is on the screen while the simulator is still writing it.
        await terminal.SendAsync("first question");
        await terminal.SendAsync("Enter", literal: false);
        var partial = await terminal.WaitForAsync(s => s.Contains("assistant> Echo: first question lorem", StringComparison.Ordinal), "the answer's first words");
        Assert.Equal(1, silo.SimState.InFlight);
        Assert.Equal(0, silo.SimState.Completed);

        // Ctrl-C: the answer stops where it is, the upstream call is abandoned, and the prompt comes back.
        await terminal.SendAsync("C-c", literal: false);
        var cancelled = await terminal.WaitForAsync(s => s.Contains("[cancelled]", StringComparison.Ordinal) && PromptCount(s) == 2, "[cancelled] and a new prompt");
        var firstAnswer = AnswerLine(cancelled, "first question");
        Assert.EndsWith("[cancelled]", firstAnswer, StringComparison.Ordinal);
        Assert.True(FillerWords(firstAnswer) < SlowStreamSilo.AnswerTokens - 10, $"the answer was not cut short: {firstAnswer}");
        Assert.True(FillerWords(firstAnswer) >= FillerWords(AnswerLine(partial, "first question")));
        await WaitUntilAsync(() => silo.SimState.InFlight == 0, "the upstream call to end");
        Assert.Equal(0, silo.SimState.Completed);
        Assert.Null(await terminal.ExitStatusAsync());

        // The same session and conversation go on: a command, then a whole answer.
        await terminal.SendAsync("/model");
        await terminal.SendAsync("Enter", literal: false);
        await terminal.WaitForAsync(s => s.Contains("model: " + CliSilo.Model, StringComparison.Ordinal) && PromptCount(s) == 3, "the /model answer");
        await terminal.SendAsync("second question");
        await terminal.SendAsync("Enter", literal: false);
        var answered = await terminal.WaitForAsync(s => PromptCount(s) == 4, "the whole second answer and a prompt", TimeSpan.FromSeconds(90));
        var secondAnswer = AnswerLine(answered, "second question");
        Assert.DoesNotContain("[cancelled]", secondAnswer, StringComparison.Ordinal);
        Assert.Equal(1, silo.SimState.Completed);
        var upstream = silo.SimState.RecentRequests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, upstream.Count);
        Assert.Contains("second question", upstream[1].Body, StringComparison.Ordinal);
        Assert.Equal(["first question", "second question"], silo.UpstreamUserMessages());

        // The server's conversation is the one the session started; Ctrl-D leaves cleanly.
        using var client = silo.CreateClient(silo.UserKey);
        using var items = await client.GetAsync($"v1/conversations/{conversation}/items?order=asc");
        Assert.True(items.IsSuccessStatusCode, await items.Content.ReadAsStringAsync());
        Assert.Contains("second question", await items.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await terminal.SendAsync("C-d", literal: false);
        await terminal.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await terminal.ExitStatusAsync());
    }

    private static int PromptCount(string screen) => Regex.Matches(screen, "^you> ", RegexOptions.Multiline).Count;

    /// <summary>The answer's line (joined as displayed) to the message <paramref name="question"/>.</summary>
    private static string AnswerLine(string screen, string question)
        => screen.Split('\n').Single(l => l.StartsWith("assistant> Echo: " + question, StringComparison.Ordinal)).TrimEnd();

    private static int FillerWords(string answer) => answer.Split(' ').Count(w => w is "lorem" or "ipsum" or "dolor" or "sit" or "amet" or "sed" or "do"
        or "tempor" or "magna" or "aliqua" or "enim" or "ad" or "minim" or "veniam" or "quis" or "labore");

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    [GeneratedRegex("conv_[A-Za-z0-9_-]+")]
    private static partial Regex ConversationId();
}
