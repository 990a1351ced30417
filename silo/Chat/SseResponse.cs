using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;

namespace Parley.Silo.Chat;

/// <summary>Parley's own writes into an SSE answer.</summary>
internal static class SseResponse
{
    public const string MediaType = "text/event-stream";
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventTerminator => "\n\n"u8;

    public static bool IsEventStream(string? contentType)
        => contentType is not null && contentType.StartsWith(MediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>An error event as OpenAI sends one mid-stream: <c>data: {"error":{...}}</c>.</summary>
    public static async Task WriteErrorEventAsync(HttpResponse response, string message, string code, CancellationToken cancellationToken,
        string type = OpenAIErrorTypes.Upstream)
    {
        var output = response.BodyWriter;
        output.Write(DataPrefix);
        using (var writer = new Utf8JsonWriter(output))
        {
            JsonSerializer.Serialize(writer, new OpenAIErrorBody(new OpenAIError(message, type, null, code)), ApiJsonContext.Default.OpenAIErrorBody);
        }
        output.Write(EventTerminator);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
