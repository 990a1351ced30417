using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Hosting;
using Spectre.Console;

namespace Parley.Cli.Chat;

/// <summary>An interactive session on one server-side conversation: each line typed is a turn whose answer streams
/// as it arrives; lines starting with '/' are commands. Ctrl-C cancels the answer being streamed and returns to
/// the prompt; Ctrl-D (end of input) or /exit leaves.</summary>
public sealed class ChatSession(CommandScope scope, string model, string? systemPrompt)
{
    public const string Help = """
        /model [NAME]    show or change the conversation's model
        /system [TEXT]   show or set the pinned system prompt
        /usage           tokens used in this session, and your usage today
        /new             start a new conversation
        /history         show the conversation so far
        /exit            leave (or Ctrl-D); Ctrl-C cancels the answer being written
        """;

    private readonly CliContext _context = scope.Context;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _turn;
    private string _model = model;
    private string? _system = systemPrompt;
    private int _turns;
    private long _promptTokens;
    private long _completionTokens;

    public string ConversationId { get; private set; } = "";

    public async Task<int> RunAsync(string? conversationId, CancellationToken cancellationToken)
    {
        if (conversationId is null)
        {
            await CreateConversationAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var existing = await scope.Client.GetAsync($"v1/conversations/{Uri.EscapeDataString(conversationId)}", cancellationToken).ConfigureAwait(false);
            ConversationId = existing.String("id")!;
            _system ??= existing.String("system_prompt");
            if (existing.String("model") is { } conversationModel && _model != conversationModel)
            {
                _model = conversationModel;
            }
        }
        Info($"Conversation {ConversationId} with {_model}. Type /help for commands, Ctrl-C to cancel an answer, Ctrl-D to leave.");
        using var subscription = _context.CancelSignal.Subscribe(OnCancel);
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = ReadLine();
            if (line is null)
            {
                break;
            }
            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith('/'))
            {
                if (!await CommandAsync(line, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
                continue;
            }
            await TurnAsync(line, cancellationToken).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    /// <summary>Ctrl-C: cancels the answer in flight and keeps the session; at the prompt, a hint.</summary>
    private bool OnCancel()
    {
        lock (_lock)
        {
            if (_turn is { } turn)
            {
                turn.Cancel();
                return true;
            }
        }
        _context.Error.WriteLine();
        _context.Error.WriteLine("(Ctrl-C cancels an answer while it is written; type /exit or press Ctrl-D to leave)");
        WritePrompt();
        return true;
    }

    private string? ReadLine()
    {
        WritePrompt();
        return _context.InputIsTerminal ? System.Console.ReadLine() : _context.In.ReadLine();
    }

    private void WritePrompt()
    {
        if (_context.InputIsTerminal && !scope.Json)
        {
            _context.Console.Markup("[bold green]you>[/] ");
        }
    }

    private async Task TurnAsync(string text, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = _model,
            ["conversation"] = ConversationId,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        // One key per turn: a turn the server already stored is never stored twice.
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "cli-" + Guid.NewGuid().ToString("N") };
        using var turn = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lock (_lock)
        {
            _turn = turn;
        }
        var written = false;
        try
        {
            if (!scope.Json && _context.OutputIsTerminal)
            {
                _context.Console.Markup("[bold blue]assistant>[/] ");
            }
            var answer = await ChatCompletions.StreamAsync(scope.Client, body, piece =>
            {
                if (!scope.Json)
                {
                    _context.Out.Write(piece);
                    _context.Out.Flush();
                    written = true;
                }
            }, headers, turn.Token).ConfigureAwait(false);
            _turns++;
            _promptTokens += answer.Usage?.PromptTokens ?? 0;
            _completionTokens += answer.Usage?.CompletionTokens ?? 0;
            if (scope.Json)
            {
                scope.WriteJson(new JsonObject
                {
                    ["type"] = "answer", ["conversation"] = ConversationId, ["model"] = answer.Model ?? _model, ["content"] = answer.Text,
                    ["finish_reason"] = answer.FinishReason,
                    ["usage"] = answer.Usage is null ? null : new JsonObject { ["prompt_tokens"] = answer.Usage.PromptTokens, ["completion_tokens"] = answer.Usage.CompletionTokens },
                });
            }
            else
            {
                _context.Out.WriteLine();
            }
        }
        catch (OperationCanceledException) when (turn.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            if (scope.Json)
            {
                scope.WriteJson(new JsonObject { ["type"] = "cancelled", ["conversation"] = ConversationId });
            }
            else
            {
                _context.Out.WriteLine(written ? " [cancelled]" : "[cancelled]");
            }
        }
        catch (ParleyApiException e)
        {
            if (written)
            {
                _context.Out.WriteLine();
            }
            // A failed turn ends the turn, not the session.
            _context.Error.WriteLine($"parley: error: {e.Message} ({e.Describe()})");
        }
        catch (HttpRequestException e)
        {
            _context.Out.WriteLine();
            _context.Error.WriteLine($"parley: error: the answer was cut off: {e.Message}");
        }
        finally
        {
            lock (_lock)
            {
                _turn = null;
            }
        }
    }

    /// <summary>Handles a /command; false to leave the session.</summary>
    private async Task<bool> CommandAsync(string line, CancellationToken cancellationToken)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? line : line[..space];
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        try
        {
            switch (name)
            {
                case "/exit" or "/quit":
                    return false;
                case "/help":
                    Info(Help);
                    break;
                case "/model" when argument.Length == 0:
                    Info($"model: {_model}");
                    break;
                case "/model":
                    await UpdateAsync(new JsonObject { ["model"] = argument }, cancellationToken).ConfigureAwait(false);
                    _model = argument;
                    Info($"model: {_model}");
                    break;
                case "/system" when argument.Length == 0:
                    Info(_system is null ? "no system prompt" : $"system prompt: {_system}");
                    break;
                case "/system":
                    await UpdateAsync(new JsonObject { ["system_prompt"] = argument }, cancellationToken).ConfigureAwait(false);
                    _system = argument;
                    Info("system prompt set.");
                    break;
                case "/new":
                    await CreateConversationAsync(cancellationToken).ConfigureAwait(false);
                    Info($"New conversation {ConversationId} with {_model}.");
                    break;
                case "/usage":
                    await ShowUsageAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "/history":
                    await ShowHistoryAsync(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    Info($"unknown command {name}; /help lists them.");
                    break;
            }
        }
        catch (ParleyApiException e)
        {
            _context.Error.WriteLine($"parley: error: {e.Message} ({e.Describe()})");
        }
        return true;
    }

    private async Task CreateConversationAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["model"] = _model };
        if (_system is not null)
        {
            body["system_prompt"] = _system;
        }
        var created = await scope.Client.SendJsonAsync(HttpMethod.Post, "v1/conversations", body, cancellationToken).ConfigureAwait(false);
        ConversationId = created.String("id") ?? throw new CliException(ExitCodes.ApiError, "the server created a conversation without an id.");
        _turns = 0;
        _promptTokens = 0;
        _completionTokens = 0;
    }

    private Task UpdateAsync(JsonObject settings, CancellationToken cancellationToken)
        => scope.Client.SendJsonAsync(HttpMethod.Post, $"v1/conversations/{ConversationId}", settings, cancellationToken);

    private async Task ShowUsageAsync(CancellationToken cancellationToken)
    {
        var usage = await scope.Client.GetAsync("v1/usage", cancellationToken).ConfigureAwait(false);
        var today = usage.Property("usage");
        if (scope.Json)
        {
            scope.WriteJson(new JsonObject
            {
                ["type"] = "usage", ["conversation"] = ConversationId, ["turns"] = _turns, ["prompt_tokens"] = _promptTokens,
                ["completion_tokens"] = _completionTokens, ["server"] = usage.ToNode(),
            });
            return;
        }
        Info(string.Create(CultureInfo.InvariantCulture,
            $"this conversation: {_turns} turns, {_promptTokens:#,0} prompt + {_completionTokens:#,0} completion tokens; "
            + $"you today: {today.Long("tokens_today") ?? 0:#,0} tokens, ${today.Decimal("usd_today") ?? 0:0.00####}; "
            + $"this month: {today.Long("tokens_this_month") ?? 0:#,0} tokens, ${today.Decimal("usd_this_month") ?? 0:0.00####}"));
    }

    private async Task ShowHistoryAsync(CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            var path = $"v1/conversations/{ConversationId}/items?order=asc&limit=100" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await scope.Client.GetAsync(path, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Data())
            {
                var text = string.Concat(item.Property("content").ValueKind == JsonValueKind.Array
                    ? item.Property("content").EnumerateArray().Select(p => p.String("text") ?? "") : []);
                if (scope.Json)
                {
                    scope.WriteJson(new JsonObject { ["type"] = "item", ["id"] = item.String("id"), ["role"] = item.String("role"), ["content"] = text });
                }
                else
                {
                    _context.Out.WriteLine($"{item.String("role")}> {text}");
                }
            }
            if (page.Property("has_more").ValueKind != JsonValueKind.True)
            {
                break;
            }
            after = page.String("last_id");
        }
    }

    private void Info(string text)
    {
        if (scope.Json)
        {
            return;
        }
        if (_context.OutputIsTerminal)
        {
            _context.Console.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
        }
        else
        {
            _context.Out.WriteLine(text);
        }
    }
}
