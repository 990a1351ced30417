using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Parley.Cluster.Testing.Infrastructure;

namespace Parley.Cluster.Testing.Chaos;

/// <summary>What one attempt at a turn came to: acknowledged (the client holds the whole answer: a 200 JSON completion,
/// or a stream that ended with <c>[DONE]</c>), or failed with the status (0: no answer or a cut) and why.</summary>
public readonly record struct TurnAttempt(bool Acknowledged, int Status, string? Answer, string? Failure, bool Replayed);

/// <summary>A chat client as an application would write one: it continues its own conversation turn after turn,
/// streaming every other turn, and retries a failed turn with the same <c>Idempotency-Key</c> until it is acknowledged.</summary>
public sealed class ChaosTurnClient(HttpClient http, string conversationId)
{
    public string ConversationId { get; } = conversationId;

    public async Task<TurnAttempt> SendAsync(string text, string idempotencyKey, bool stream, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new ChaosTurnBody(TestCluster.Model, [new ChaosMessage("user", text)], stream), ChaosJson.Default.ChaosTurnBody);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Parley-Conversation", ConversationId);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            var replayed = response.Headers.Contains("x-parley-replay");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken);
                return new TurnAttempt(false, status, null, error.Length > 300 ? error[..300] : error, replayed);
            }
            return stream ? await ReadStreamAsync(response, replayed, cancellationToken) : await ReadJsonAsync(response, replayed, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return new TurnAttempt(false, 0, null, e.GetType().Name + ": " + e.Message, false);
        }
    }

    private static async Task<TurnAttempt> ReadJsonAsync(HttpResponseMessage response, bool replayed, CancellationToken cancellationToken)
    {
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(json);
            var content = document.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            return new TurnAttempt(true, 200, content, null, replayed);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return new TurnAttempt(false, 200, null, "a 200 without a whole completion: " + e.Message, replayed);
        }
    }

    private static async Task<TurnAttempt> ReadStreamAsync(HttpResponseMessage response, bool replayed, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }
            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                return new TurnAttempt(true, 200, text.ToString(), null, replayed);
            }
            using var chunk = JsonDocument.Parse(data);
            if (chunk.RootElement.TryGetProperty("error", out var error))
            {
                return new TurnAttempt(false, 200, null, "stream error event: " + error.GetRawText(), replayed);
            }
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var piece) && piece.ValueKind == JsonValueKind.String)
                {
                    text.Append(piece.GetString());
                }
            }
        }
        return new TurnAttempt(false, 200, null, "the stream ended without [DONE]", replayed);
    }
}

public sealed record ChaosMessage(
    [property: System.Text.Json.Serialization.JsonPropertyName("role")] string Role,
    [property: System.Text.Json.Serialization.JsonPropertyName("content")] string Content);

public sealed record ChaosTurnBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("model")] string Model,
    [property: System.Text.Json.Serialization.JsonPropertyName("messages")] IReadOnlyList<ChaosMessage> Messages,
    [property: System.Text.Json.Serialization.JsonPropertyName("stream")] bool Stream);

[System.Text.Json.Serialization.JsonSerializable(typeof(ChaosTurnBody))]
internal sealed partial class ChaosJson : System.Text.Json.Serialization.JsonSerializerContext;
