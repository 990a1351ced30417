using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Parley.Telemetry.Tests.Metrics;

/// <summary>Chat requests as a client sends them, returning what the upstream reported (through Parley) so a test can
/// compute the exact token sums the metrics must show.</summary>
internal static class ChatTraffic
{
    public readonly record struct Answer(HttpStatusCode Status, int PromptTokens, int CompletionTokens, string? Provider, string Body);

    public static async Task<Answer> SendAsync(HttpClient client, string body, bool stream = false, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        configure?.Invoke(request);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var provider = response.Headers.TryGetValues("x-parley-provider", out var values) ? values.Single() : null;
        if (!response.IsSuccessStatusCode)
        {
            return new Answer(response.StatusCode, 0, 0, provider, text);
        }
        var usage = stream ? StreamUsage(text) : JsonDocument.Parse(text).RootElement.GetProperty("usage");
        return new Answer(response.StatusCode, usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(), provider, text);
    }

    public static string Body(string model, string content, bool stream = false, double? temperature = null)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = model,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = content } },
        };
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true };
        }
        if (temperature is { } t)
        {
            body["temperature"] = t;
        }
        return JsonSerializer.Serialize(body);
    }

    private static JsonElement StreamUsage(string sse)
    {
        foreach (var line in sse.Split('\n'))
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }
            var chunk = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                return usage.Clone();
            }
        }
        throw new InvalidOperationException("The stream carried no usage chunk:\n" + sse);
    }

    public static async Task<string> CreateConversationAsync(HttpClient client, string model)
    {
        using var response = await client.PostAsJsonAsync("v1/conversations", new Dictionary<string, string> { ["model"] = model });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }
}
