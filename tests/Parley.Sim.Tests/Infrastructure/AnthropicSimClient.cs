using System.Text;
using System.Text.Json;
using Parley.Sim.Hosting;

namespace Parley.Sim.Tests.Infrastructure;

/// <summary>HttpClient helpers for the simulator's Anthropic Messages API.</summary>
internal static class AnthropicSimClient
{
    public const string Version = "2023-06-01";

    /// <summary>A client that sends x-api-key and anthropic-version on every request (either may be left out).</summary>
    public static HttpClient Create(SimulatorHost sim, string? key = SimClient.Key, string? version = Version)
    {
        var client = new HttpClient { BaseAddress = sim.Url, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("x-api-key", key);
        }
        if (version is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("anthropic-version", version);
        }
        return client;
    }

    public static HttpRequestMessage MessagesRequest(string body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        return request;
    }

    /// <summary>One user message, max_tokens 1024 unless <paramref name="extra"/> says otherwise.</summary>
    public static string Body(string userText = "hello", string model = "sim-small", string extra = "", int maxTokens = 1024)
        => $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(userText)}}}]{{extra}}}""";

    public static Task<HttpResponseMessage> PostMessagesAsync(this HttpClient client, string body, params (string Name, string Value)[] headers)
        => client.SendAsync(MessagesRequest(body, headers));

    /// <summary>Asserts Anthropic's error body (<c>{"type":"error","error":{"type","message"},"request_id"}</c>) and
    /// returns its message.</summary>
    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, int status, string type, string? message = null)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.JsonAsync();
        Assert.Equal(["type", "error", "request_id"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("error", json.GetProperty("type").GetString());
        var error = json.GetProperty("error");
        Assert.Equal(["type", "message"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(type, error.GetProperty("type").GetString());
        var requestId = json.GetProperty("request_id").GetString();
        Assert.StartsWith("req_", requestId);
        Assert.Equal(requestId, response.Header("request-id"));
        var text = error.GetProperty("message").GetString()!;
        if (message is not null)
        {
            Assert.Equal(message, text);
        }
        return text;
    }
}
