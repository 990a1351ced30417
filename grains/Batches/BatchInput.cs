using System.Text.Json;
using Parley.GrainInterfaces.Batches;

namespace Parley.Grains.Batches;

/// <summary>One request line of a batch input file.</summary>
/// <param name="Body">The request body exactly as the line holds it.</param>
public sealed record BatchLine(string CustomId, byte[] Body);

/// <summary>Reads a batch input file (JSON Lines, OpenAI's format): every non-empty line an object with a unique
/// <c>custom_id</c>, <c>method</c> <c>POST</c>, <c>url</c> the batch endpoint and a <c>body</c> object. The upload
/// checks it, and the batch reads it again when it starts.</summary>
public static class BatchInput
{
    /// <summary>Errors reported at most (the first ones, in line order).</summary>
    public const int MaxErrors = 100;

    private const int MaxCustomIdLength = 512;

    public static (IReadOnlyList<BatchLine> Lines, IReadOnlyList<BatchError> Errors) Parse(ReadOnlySpan<byte> content, int maxLines)
    {
        var lines = new List<BatchLine>();
        var errors = new List<BatchError>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        while (!content.IsEmpty && errors.Count < MaxErrors)
        {
            number++;
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            content = end < 0 ? [] : content[(end + 1)..];
            line = line.TrimEnd((byte)'\r');
            if (line.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }
            if (lines.Count >= maxLines)
            {
                errors.Add(new BatchError("too_many_lines", $"A batch input file may hold at most {maxLines} requests.", null, number));
                break;
            }
            if (ParseLine(line, number, ids) is { } parsed)
            {
                if (parsed.Error is { } error)
                {
                    errors.Add(error);
                }
                else
                {
                    lines.Add(parsed.Line!);
                }
            }
        }
        if (lines.Count == 0 && errors.Count == 0)
        {
            errors.Add(new BatchError("empty_file", "The batch input file holds no requests.", null, null));
        }
        return (lines, errors);
    }

    private static (BatchLine? Line, BatchError? Error)? ParseLine(ReadOnlySpan<byte> line, int number, HashSet<string> ids)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.ToArray());
        }
        catch (JsonException)
        {
            return (null, Error("invalid_json_line", "This line is not valid JSON.", null, number));
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, Error("invalid_request", "Each line must be a JSON object.", null, number));
            }
            string? customId = null, method = null, url = null;
            JsonElement? body = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "custom_id":
                        customId = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                        if (customId is null)
                        {
                            return (null, Error("invalid_custom_id", "custom_id must be a string.", "custom_id", number));
                        }
                        break;
                    case "method":
                        method = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : "";
                        break;
                    case "url":
                        url = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : "";
                        break;
                    case "body":
                        body = property.Value;
                        break;
                    default:
                        return (null, Error("invalid_request", $"Unknown field '{property.Name}'.", property.Name, number));
                }
            }
            if (string.IsNullOrEmpty(customId) || customId.Length > MaxCustomIdLength)
            {
                return (null, Error("invalid_custom_id", $"custom_id is required (1 to {MaxCustomIdLength} characters).", "custom_id", number));
            }
            if (!ids.Add(customId))
            {
                return (null, Error("duplicate_custom_id", $"custom_id '{customId}' is used by an earlier line; each must be unique.", "custom_id", number));
            }
            if (method != "POST")
            {
                return (null, Error("invalid_method", "method must be \"POST\".", "method", number));
            }
            if (url != BatchOptions.ChatCompletionsEndpoint)
            {
                return (null, Error("invalid_url", $"url must be \"{BatchOptions.ChatCompletionsEndpoint}\".", "url", number));
            }
            if (body is not { ValueKind: JsonValueKind.Object } requestBody)
            {
                return (null, Error("invalid_body", "body must be a JSON object (the chat completion request).", "body", number));
            }
            if (requestBody.TryGetProperty("stream"u8, out var stream) && stream.ValueKind == JsonValueKind.True)
            {
                return (null, Error("invalid_body", "A batch request cannot be streamed (body.stream must not be true).", "body.stream", number));
            }
            if (!requestBody.TryGetProperty("model"u8, out var model) || model.ValueKind != JsonValueKind.String)
            {
                return (null, Error("invalid_body", "body.model is required.", "body.model", number));
            }
            return (new BatchLine(customId, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(requestBody).ToArray()), null);
        }
    }

    private static BatchError Error(string code, string message, string? param, int line) => new(code, $"Line {line}: {message}", param, line);
}
