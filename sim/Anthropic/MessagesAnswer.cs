using System.Globalization;
using Parley.Sim.Chat;
using Parley.Sim.Observability;

namespace Parley.Sim.Anthropic;

/// <summary>The simulator's deterministic answer to a Messages request: a text block (echo, tool result or the line
/// before a tool call) and, for a tool call, one tool_use block. Its blocks are cut at real token boundaries for
/// streaming; <see cref="OutputTokens"/> is the encoded length of the text plus, for a tool call, of the input JSON.
/// Dispose to return the pooled buffers.</summary>
internal sealed class MessagesAnswer : IDisposable
{
    public const string ToolResultPrefix = "Tool result: ";
    public const string ToolUseIdPrefix = "toolu_";
    public const string EndTurn = "end_turn";
    public const string MaxTokensReason = "max_tokens";
    public const string StopSequenceReason = "stop_sequence";
    public const string ToolUseReason = "tool_use";

    private MessagesAnswer(Reply text, string stopReason, string? stopSequence, ToolCall? tool)
    {
        Text = text;
        StopReason = stopReason;
        StopSequence = stopSequence;
        Tool = tool;
    }

    /// <summary>The text block.</summary>
    public Reply Text { get; }

    /// <summary>The tool_use block, for a tool call.</summary>
    public ToolCall? Tool { get; }

    public string StopReason { get; }

    /// <summary>The stop sequence that ended the text, when <see cref="StopReason"/> is stop_sequence.</summary>
    public string? StopSequence { get; }

    public int OutputTokens => Text.CompletionTokens + (Tool?.Input.CompletionTokens ?? 0);

    /// <summary>Streamed units: the text's tokens, then the input JSON's.</summary>
    public int TokenCount => Text.TokenCount + (Tool?.Input.TokenCount ?? 0);

    /// <summary>Gives the tool_use block its id, "toolu_" and the simulator's tool-use sequence number (24 digits),
    /// once the answer is sure to be sent, so refused and faulted requests use no number.</summary>
    public void NumberToolUse(SimulatorState state)
    {
        if (Tool is not null)
        {
            Tool.Id = ToolUseIdPrefix + state.NextToolUseSequence().ToString("D24", CultureInfo.InvariantCulture);
        }
    }

    public static MessagesAnswer Create(MessagesRequest request, int responseTokens)
    {
        var encoding = request.TokenEncoding!;
        if (request.Answer == AnswerKind.ToolCall)
        {
            // A tool call is answered whole: neither max_tokens nor the response length cuts it.
            var line = Reply.Whole(string.Concat("Calling ", request.ToolName, "."), encoding);
            return new MessagesAnswer(line, ToolUseReason, null, new ToolCall(request.ToolName!, request.ToolInputJson!, Reply.Whole(request.ToolInputJson, encoding)));
        }
        var text = request.Answer == AnswerKind.ToolResult
            ? Reply.Create(ToolResultPrefix, request.LastToolResultText, responseTokens, request.MaxTokens, encoding)
            : Reply.Create(request.LastUserText, responseTokens, request.MaxTokens, encoding);
        var (at, sequence) = FirstStopSequence(text.Text, request.StopSequences);
        if (sequence is not null)
        {
            // Generation stops where the stop sequence starts; the sequence itself is not part of the text.
            text.TruncateAt(at, encoding);
            return new MessagesAnswer(text, StopSequenceReason, sequence, null);
        }
        return new MessagesAnswer(text, text.CutByMaxTokens ? MaxTokensReason : EndTurn, null, null);
    }

    // The earliest occurrence of any stop sequence (the first listed wins a tie); empty sequences never match.
    private static (int At, string? Sequence) FirstStopSequence(ReadOnlySpan<char> text, IReadOnlyList<string> sequences)
    {
        var at = int.MaxValue;
        string? found = null;
        foreach (var sequence in sequences)
        {
            var index = sequence.Length == 0 ? -1 : text.IndexOf(sequence, StringComparison.Ordinal);
            if (index >= 0 && index < at)
            {
                at = index;
                found = sequence;
            }
        }
        return (at, found);
    }

    public void Dispose()
    {
        Text.Dispose();
        Tool?.Input.Dispose();
    }
}

/// <summary>The tool_use block of a tool call: its id, the tool, and the input JSON cut into tokens for streaming.</summary>
internal sealed class ToolCall(string name, string inputJson, Reply input)
{
    public string Id { get; set; } = "";

    public string Name { get; } = name;

    public string InputJson { get; } = inputJson;

    public Reply Input { get; } = input;
}
