using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;

namespace Parley.Cli.Batch;

/// <summary>One request line of a batch input file, in OpenAI's batch format:
/// <c>{"custom_id": "…", "method": "POST", "url": "/v1/chat/completions", "body": {…}}</c>.</summary>
public sealed record BatchLine(int LineNumber, string CustomId, string Url, JsonObject Body);

public static class BatchInput
{
    public const string ChatCompletionsUrl = "/v1/chat/completions";

    /// <summary>Reads and checks the whole file before anything is sent: every line a JSON object with a unique
    /// non-empty custom_id, method POST, url /v1/chat/completions and an object body. Blank lines are skipped.</summary>
    public static async Task<IReadOnlyList<BatchLine>> ReadAsync(string path, string? defaultModel, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw CliException.Usage($"no such input file: {path}");
        }
        var lines = new List<BatchLine>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }
            JsonObject line;
            try
            {
                line = JsonNode.Parse(text) as JsonObject ?? throw Invalid(path, number, "not a JSON object");
            }
            catch (JsonException e)
            {
                throw Invalid(path, number, $"not valid JSON ({e.Message})");
            }
            var customId = line["custom_id"] is JsonValue id && id.TryGetValue<string>(out var idText) && idText.Length > 0
                ? idText : throw Invalid(path, number, "missing custom_id (a non-empty string)");
            if (!seen.Add(customId))
            {
                throw Invalid(path, number, $"custom_id '{customId}' appears twice; each line needs its own");
            }
            var method = line["method"] is JsonValue m && m.TryGetValue<string>(out var methodText) ? methodText : "POST";
            if (!string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid(path, number, $"method '{method}' is not supported (POST only)");
            }
            var url = line["url"] is JsonValue u && u.TryGetValue<string>(out var urlText) ? urlText : ChatCompletionsUrl;
            if (url != ChatCompletionsUrl)
            {
                throw Invalid(path, number, $"url '{url}' is not supported (only {ChatCompletionsUrl})");
            }
            if (line["body"] is not JsonObject body)
            {
                throw Invalid(path, number, "missing body (the chat completion request, a JSON object)");
            }
            body.Remove("stream");
            body.Remove("stream_options");
            if (body["model"] is null)
            {
                body["model"] = defaultModel ?? throw Invalid(path, number, "the body has no model; add one or pass --model");
            }
            line.Remove("body");
            lines.Add(new BatchLine(number, customId, url, body));
        }
        return lines;
    }

    /// <summary>True when some line of the file has no model (so a default must be found before reading).</summary>
    public static bool AnyLineWithoutModel(string path)
    {
        foreach (var text in File.ReadLines(path))
        {
            if (!string.IsNullOrWhiteSpace(text) && !text.Contains("\"model\"", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static CliException Invalid(string path, int line, string problem) => CliException.Usage($"{path}:{line}: {problem}.");
}
