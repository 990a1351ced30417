using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Parley.Sim.Hosting;

namespace Parley.Sim.Tests.Infrastructure;

/// <summary>HttpClient helpers for talking to a <see cref="SimulatorHost"/> over real HTTP.</summary>
internal static class SimClient
{
    public const string Key = "sk-test-key-000001";

    public static HttpClient Create(SimulatorHost sim, string? key = Key)
    {
        var client = new HttpClient { BaseAddress = sim.Url, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    public static HttpRequestMessage ChatRequest(string body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        return request;
    }

    public static string Body(string userText = "hello", string model = "sim-small", string extra = "")
        => $$"""{"model":"{{model}}","messages":[{"role":"user","content":{{JsonSerializer.Serialize(userText)}}}]{{extra}}}""";

    public static Task<HttpResponseMessage> PostChatAsync(this HttpClient client, string body, params (string Name, string Value)[] headers)
        => client.SendAsync(ChatRequest(body, headers));

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static string? Header(this HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>Asserts an OpenAI-shaped error body and returns it.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, int status, string type, string? code, string? param = null)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.JsonAsync();
        var error = json.GetProperty("error");
        Assert.Equal(4, error.EnumerateObject().Count());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        return error;
    }
}
