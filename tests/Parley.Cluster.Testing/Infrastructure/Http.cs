using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Parley.Cluster.Testing.Infrastructure;

public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadSuccessJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary>Creates a conversation; returns its id.</summary>
    public static async Task<string> CreateConversationAsync(HttpClient client)
    {
        using var response = await client.PostAsync("v1/conversations", Json("{}"));
        return (await ReadSuccessJsonAsync(response)).GetProperty("id").GetString()!;
    }

    /// <summary>One chat turn in a stored conversation (named by header); returns the assistant's text.</summary>
    public static async Task<string> TurnAsync(HttpClient client, string conversationId, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["model"] = TestCluster.Model,
                ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = text } },
            }),
        };
        request.Headers.Add("X-Parley-Conversation", conversationId);
        using var response = await client.SendAsync(request);
        var json = await ReadSuccessJsonAsync(response);
        return json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    /// <summary>The conversation's items, oldest first, as (role, text).</summary>
    public static async Task<List<(string Role, string Text)>> ItemsAsync(HttpClient client, string conversationId)
    {
        using var response = await client.GetAsync($"v1/conversations/{conversationId}/items?order=asc&limit=100");
        var json = await ReadSuccessJsonAsync(response);
        return json.GetProperty("data").EnumerateArray()
            .Select(item => (item.GetProperty("role").GetString()!, string.Concat(item.GetProperty("content").EnumerateArray().Select(p => p.GetProperty("text").GetString()))))
            .ToList();
    }
}
