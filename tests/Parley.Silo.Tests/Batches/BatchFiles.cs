using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Batches;

/// <summary>Batch input files and the raw calls the tests make beside the SDK.</summary>
internal static class BatchFiles
{
    public static string Line(string customId, string content, string model = SiloHarness.Model)
        => $$$"""{"custom_id":"{{{customId}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{model}}}","messages":[{"role":"user","content":"{{{content}}}"}]}}""";

    /// <summary>Lines <c>r0…</c> asking "prompt N".</summary>
    public static string Input(int lines, string prefix = "prompt")
        => string.Concat(Enumerable.Range(0, lines).Select(i => Line("r" + i, $"{prefix} {i}") + "\n"));

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string content, string? purpose = "batch", string filename = "in.jsonl")
    {
        using var form = new MultipartFormDataContent();
        if (purpose is not null)
        {
            form.Add(new StringContent(purpose), "purpose");
        }
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", filename);
        return await client.PostAsync("v1/files", form);
    }

    public static async Task<string> UploadIdAsync(HttpClient client, string content)
    {
        using var response = await UploadAsync(client, content);
        return (await SuccessAsync(response)).GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> CreateAsync(HttpClient client, string fileId, string? metadata = null)
    {
        using var response = await client.PostAsync("v1/batches", Http.Json(
            $$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/chat/completions","completion_window":"24h"{{(metadata is null ? "" : ",\"metadata\":" + metadata)}}}"""));
        return await SuccessAsync(response);
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return await SuccessAsync(response);
    }

    /// <summary>The lines of a stored file, parsed.</summary>
    public static async Task<List<JsonElement>> ContentLinesAsync(HttpClient client, string fileId)
    {
        var text = await client.GetStringAsync($"v1/files/{fileId}/content");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    public static async Task<JsonElement> SuccessAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The user prompts the simulator received, in order.</summary>
    public static List<string> SentPrompts(SiloHarness harness)
        => [.. harness.SimState.RecentRequests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!)];
}
