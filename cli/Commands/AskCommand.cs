using System.CommandLine;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Hosting;

namespace Parley.Cli.Commands;

/// <summary><c>parley ask PROMPT…</c>: one prompt, the answer streamed to standard output as plain text. Piped
/// standard input is the prompt (or, with words given too, appended to them: <c>cat notes.txt | parley ask
/// "Summarize:"</c>).</summary>
public static class AskCommand
{
    public static Command Create(CliContext context)
    {
        var prompt = new Argument<string[]>("prompt") { Description = "The prompt (words are joined with spaces); omitted: read from standard input.", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string>("--model", "-m") { Description = "The model (default: the profile's, else the server's first)." };
        var system = new Option<string>("--system") { Description = "A system message sent before the prompt." };
        var conversation = new Option<string>("--conversation", "-c") { Description = "Continue this server-side conversation (conv_…)." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "The reply allowance (max_tokens)." };
        var command = new Command("ask", "Ask one question; the answer streams to standard output.") { prompt, model, system, conversation, maxTokens };
        CommandRunner.SetAction(command, context, async (scope, cancellationToken) =>
        {
            var text = await ReadPromptAsync(context, scope.Get(prompt), cancellationToken).ConfigureAwait(false);
            var body = new JsonObject { ["model"] = await ModelChoice.ResolveAsync(scope, scope.Get(model), cancellationToken).ConfigureAwait(false) };
            var messages = new JsonArray();
            if (scope.Get(system) is { Length: > 0 } systemText)
            {
                messages.Add(new JsonObject { ["role"] = "system", ["content"] = systemText });
            }
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = text });
            body["messages"] = messages;
            if (scope.Get(maxTokens) is { } max)
            {
                body["max_tokens"] = max;
            }
            if (scope.Get(conversation) is { Length: > 0 } conversationId)
            {
                body["conversation"] = conversationId;
            }
            if (scope.Json)
            {
                var (completion, response) = await ChatCompletions.CompleteAsync(scope.Client, body, null, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                scope.WriteJson(completion);
                return ExitCodes.Success;
            }
            var answer = await ChatCompletions.StreamAsync(scope.Client, body, piece =>
            {
                context.Out.Write(piece);
                context.Out.Flush();
            }, null, cancellationToken).ConfigureAwait(false);
            context.Out.WriteLine();
            return answer.FinishReason == "length" && context.OutputIsTerminal ? WarnCut(context) : ExitCodes.Success;
        });
        return command;
    }

    private static int WarnCut(CliContext context)
    {
        context.Error.WriteLine("parley: note: the answer was cut at the reply allowance (finish_reason: length).");
        return ExitCodes.Success;
    }

    private static async Task<string> ReadPromptAsync(CliContext context, string[] words, CancellationToken cancellationToken)
    {
        var fromArguments = string.Join(' ', words);
        var fromInput = context.InputIsTerminal ? "" : await context.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var prompt = fromArguments.Length > 0 && fromInput.Length > 0 ? fromArguments + "\n\n" + fromInput : fromArguments + fromInput;
        return string.IsNullOrWhiteSpace(prompt)
            ? throw CliException.Usage("no prompt: pass it as arguments (`parley ask \"Why is the sky blue?\"`) or on standard input.")
            : prompt;
    }
}
