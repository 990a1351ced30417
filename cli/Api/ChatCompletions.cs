using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parley.Cli.Api;

/// <summary>POST /v1/chat/completions, streamed (SSE, each content delta handed over as it arrives) or not.</summary>
public static class ChatCompletions
{
    public const string Path = "v1/chat/completions";

    /// <summary>Streams the answer; <paramref name="onDelta"/> gets each piece of content as it arrives. Cancelling
    /// closes the connection (the server stops the upstream call).</summary>
    public static async Task<ChatAnswer> StreamAsync(ParleyClient client, JsonObject body, Action<string> onDelta,
        IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        body["stream"] = true;
        body["stream_options"] = new JsonObject { ["include_usage"] = true };
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = ParleyClient.JsonContent(body) };
        AddHeaders(request, headers);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            // A replayed or cached turn may come back whole.
            using var whole = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var answer = FromCompletion(whole.RootElement, response);
            onDelta(answer.Text);
            return answer;
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = new StringBuilder();
        string? finish = null, model = null;
        Usage? usage = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }
            var data = line.AsSpan(5).Trim();
            if (data.SequenceEqual("[DONE]"))
            {
                break;
            }
            using var chunk = JsonDocument.Parse(data.ToString());
            var root = chunk.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                throw new ParleyApiException(System.Net.HttpStatusCode.BadGateway, error.GetProperty("message").GetString() ?? "the stream failed",
                    error.TryGetProperty("type", out var t) ? t.GetString() : null, error.TryGetProperty("code", out var c) ? c.GetString() : null, null);
            }
            model ??= root.TryGetProperty("model", out var m) ? m.GetString() : null;
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                        && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } piece)
                    {
                        text.Append(piece);
                        onDelta(piece);
                    }
                    if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
                    {
                        finish = reason.GetString();
                    }
                }
            }
            if (root.TryGetProperty("usage", out var usageElement) && usageElement.ValueKind == JsonValueKind.Object)
            {
                usage = Usage.From(usageElement);
            }
        }
        return new ChatAnswer(text.ToString(), usage, finish, model, Header(response, "x-parley-conversation"));
    }

    public static async Task<(JsonElement Body, HttpResponseMessage Response)> CompleteAsync(ParleyClient client, JsonObject body,
        IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = ParleyClient.JsonContent(body) };
        AddHeaders(request, headers);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return (document.RootElement.Clone(), response);
    }

    public static ChatAnswer FromCompletion(JsonElement completion, HttpResponseMessage? response)
    {
        var text = new StringBuilder();
        string? finish = null;
        if (completion.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content)
                    && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
                if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
                {
                    finish = reason.GetString();
                }
            }
        }
        var usage = completion.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? Usage.From(u) : null;
        var model = completion.TryGetProperty("model", out var m) ? m.GetString() : null;
        return new ChatAnswer(text.ToString(), usage, finish, model, response is null ? null : Header(response, "x-parley-conversation"));
    }

    private static void AddHeaders(HttpRequestMessage request, IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null)
        {
            return;
        }
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

public sealed record Usage(long PromptTokens, long CompletionTokens)
{
    public long TotalTokens => PromptTokens + CompletionTokens;

    public static Usage From(JsonElement usage) => new(
        usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt64(out var prompt) ? prompt : 0,
        usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt64(out var completion) ? completion : 0);
}

public sealed record ChatAnswer(string Text, Usage? Usage, string? FinishReason, string? Model, string? Conversation);
