using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Parley.Silo.Tests.OpenApi;

/// <summary>A third-party run generated from the silo's own OpenAPI document: Portman (npm @apideck/portman) turns the
/// document into a Postman collection (tests/openapi-tools/portman-config.json): every operation called with valid
/// input (the schemas' examples, real ids for the path) under contract tests (2xx, content type, JSON body, the body
/// against the document's schema), and fuzzing variations generated from the request schemas (required fields left
/// out, numbers below minimum and above maximum, strings shorter than minLength and longer than maxLength, on bodies
/// and query parameters), each expecting 400 with a body in the document's error schema. Newman runs it against the
/// running silo. Required: no answer of 500 or more, every check passing, every status the document's own.</summary>
public sealed class ContractRunTests(SiloFixture fixture, ITestOutputHelper output) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task PortmanAndNewmanFindNoServerErrorAndNoAnswerOutsideTheDocument()
    {
        var tools = OpenApiTools.Directory();
        var work = Directory.CreateTempSubdirectory("parley-portman-");
        try
        {
            var documentText = await fixture.Harness.CreateClient(key: null).GetStringAsync("openapi/v1.json");
            var documentPath = Path.Combine(work.FullName, "openapi.json");
            await File.WriteAllTextAsync(documentPath, documentText);
            var baseUrl = fixture.Harness.SiloUrl.ToString().TrimEnd('/');
            var collectionPath = Path.Combine(work.FullName, "collection.json");
            var (portmanExit, portmanOutput) = await OpenApiTools.RunAsync(tools, "portman", "-l", documentPath, "-b", baseUrl,
                "-c", Path.Combine(tools, "portman-config.json"), "-o", collectionPath, "--syncPostman", "false", "--runNewman", "false");
            Assert.True(portmanExit == 0 && File.Exists(collectionPath), portmanOutput);
            var (fuzzed, unchanged) = ContractCollection.DropUnchangedVariations(collectionPath);
            output.WriteLine($"Portman: {fuzzed} fuzzing variations, {unchanged} left out (they changed nothing in the request).");
            Assert.True(fuzzed >= 40, $"Only {fuzzed} fuzzing variations were generated.");

            var variables = await CreateResourcesAsync();
            variables["baseUrl"] = baseUrl;
            variables["userKey"] = fixture.Key;
            variables["adminKey"] = fixture.Harness.AdminKey;
            var report = Path.Combine(work.FullName, "run.json");
            var arguments = new List<string> { "run", collectionPath, "-r", "json", "--reporter-json-export", report };
            foreach (var (name, value) in variables)
            {
                arguments.AddRange(["--env-var", $"{name}={value}"]);
            }
            var (_, newmanOutput) = await OpenApiTools.RunAsync(tools, "newman", [.. arguments]);
            Assert.True(File.Exists(report), newmanOutput);

            using var document = JsonDocument.Parse(documentText);
            using var run = JsonDocument.Parse(await File.ReadAllTextAsync(report));
            var failures = new List<string>();
            var executions = 0;
            foreach (var execution in run.RootElement.GetProperty("run").GetProperty("executions").EnumerateArray())
            {
                executions++;
                failures.AddRange(ContractCollection.Check(execution, document.RootElement));
            }
            output.WriteLine($"Newman: {executions} requests.");
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            Assert.True(executions >= 100, $"Only {executions} requests ran.");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>What the collection's path variables name: users, keys, conversations, files, a batch and a document
    /// job that exist, and separate ones for the routes that delete or revoke (so the order of the run does not matter).</summary>
    private async Task<Dictionary<string, string>> CreateResourcesAsync()
    {
        var admin = fixture.Harness.CreateClient(fixture.Harness.AdminKey);
        var user = fixture.Client;
        async Task<JsonElement> Send(HttpClient client, HttpMethod method, string path, HttpContent? content = null)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = content });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }
        async Task<(string User, string Key)> UserWithKey(string name)
        {
            var id = (await Send(admin, HttpMethod.Post, "admin/users", JsonContent.Create(new { name }))).GetProperty("id").GetString()!;
            var key = (await Send(admin, HttpMethod.Post, $"admin/users/{id}/keys", JsonContent.Create(new { name }))).GetProperty("id").GetString()!;
            return (id, key);
        }
        async Task<(string Conversation, string Item)> Conversation()
        {
            var id = (await Send(user, HttpMethod.Post, "v1/conversations", Http.Json(
                $$"""{"model":"{{SiloHarness.Model}}","items":[{"type":"message","role":"user","content":"hello"}]}"""))).GetProperty("id").GetString()!;
            var item = (await Send(user, HttpMethod.Get, $"v1/conversations/{id}/items")).GetProperty("data")[0].GetProperty("id").GetString()!;
            return (id, item);
        }
        async Task<string> Upload()
        {
            var line = $$$"""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{SiloHarness.Model}}}","messages":[{"role":"user","content":"hi"}],"max_tokens":8}}""";
            var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(line + "\n")), "file", "input.jsonl" } };
            return (await Send(user, HttpMethod.Post, "v1/files", form)).GetProperty("id").GetString()!;
        }
        var (userId, keyId) = await UserWithKey("contract-target");
        var (doomedUser, _) = await UserWithKey("contract-doomed");
        var (_, doomedKey) = await UserWithKey("contract-revoked");
        var (conversationId, itemId) = await Conversation();
        var (spareConversation, spareItem) = await Conversation();
        var (doomedConversation, _) = await Conversation();
        var fileId = await Upload();
        var doomedFile = await Upload();
        var batchId = (await Send(user, HttpMethod.Post, "v1/batches", Http.Json(
            $$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/chat/completions","completion_window":"24h"}"""))).GetProperty("id").GetString()!;
        var jobId = (await Send(user, HttpMethod.Post, "v1/document_jobs", Http.Json(
            $$"""{"model":"{{SiloHarness.Model}}","input":"Some text to summarize."}"""))).GetProperty("id").GetString()!;
        var upstream = (await Send(admin, HttpMethod.Get, "admin/upstream-keys")).GetProperty("data")[0];
        return new Dictionary<string, string>
        {
            ["model"] = SiloHarness.Model,
            ["provider"] = upstream.GetProperty("provider").GetString()!,
            ["upstreamKeyId"] = upstream.GetProperty("id").GetString()!,
            ["userId"] = userId,
            ["keyId"] = keyId,
            ["doomedUserId"] = doomedUser,
            ["doomedKeyId"] = doomedKey,
            ["conversationId"] = conversationId,
            ["itemId"] = itemId,
            ["spareConversationId"] = spareConversation,
            ["spareItemId"] = spareItem,
            ["doomedConversationId"] = doomedConversation,
            ["fileId"] = fileId,
            ["doomedFileId"] = doomedFile,
            ["batchId"] = batchId,
            ["jobId"] = jobId,
        };
    }
}

/// <summary>The Postman collection Portman writes and the report Newman writes.</summary>
internal static class ContractCollection
{
    private const string FuzzMarker = "[Fuzzed]";

    /// <summary>Leaves out the fuzzing variations that send exactly the request of their operation: Portman names a
    /// variation for every constraint it finds, but cannot change a field inside an array item, a field the example does
    /// not carry, or the keys of a map (propertyNames), so those variations are valid requests and their expected 400
    /// would be wrong. Returns how many variations remain and how many were left out.</summary>
    public static (int Fuzzed, int Unchanged) DropUnchangedVariations(string collectionPath)
    {
        var collection = JsonNode.Parse(File.ReadAllText(collectionPath))!;
        var requests = new Dictionary<string, string>(StringComparer.Ordinal);
        var all = Items(collection).ToList();
        foreach (var item in all.Where(i => !Name(i).Contains(FuzzMarker, StringComparison.Ordinal)))
        {
            requests[Name(item)] = Signature(item);
        }
        var (fuzzed, unchanged) = (0, 0);
        foreach (var folder in Folders(collection))
        {
            var items = folder["item"]!.AsArray();
            for (var i = items.Count - 1; i >= 0; i--)
            {
                var name = Name(items[i]!);
                var at = name.IndexOf(FuzzMarker, StringComparison.Ordinal);
                if (at < 0 || items[i]!["item"] is not null)
                {
                    continue;
                }
                var operation = name[..at].TrimEnd('/');
                var original = requests.FirstOrDefault(r => r.Key.TrimEnd('/') == operation).Value;
                if (original is not null && original == Signature(items[i]!))
                {
                    items.RemoveAt(i);
                    unchanged++;
                }
                else
                {
                    fuzzed++;
                }
            }
        }
        File.WriteAllText(collectionPath, collection.ToJsonString());
        return (fuzzed, unchanged);
    }

    /// <summary>The problems of one answer: a status of 500 or more, a status the document does not give the
    /// operation, an error that is not OpenAI's shape, or a failed Portman check.</summary>
    public static IEnumerable<string> Check(JsonElement execution, JsonElement document)
    {
        var name = execution.GetProperty("item").GetProperty("name").GetString()!;
        if (!execution.TryGetProperty("response", out var response))
        {
            yield return $"{name}: no answer";
            yield break;
        }
        var status = response.GetProperty("code").GetInt32();
        if (status >= 500)
        {
            yield return $"{name}: answered {status}";
        }
        var request = execution.GetProperty("request");
        var method = request.GetProperty("method").GetString()!.ToLowerInvariant();
        var path = "/" + string.Join('/', request.GetProperty("url").GetProperty("path").EnumerateArray().Select(s => s.GetString()));
        if (Operation(document, method, path) is not { } operation)
        {
            yield return $"{name}: {method.ToUpperInvariant()} {path} is not in the document";
        }
        else if (!operation.GetProperty("responses").TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out _))
        {
            yield return $"{name}: answered {status}, which the document does not list for {method.ToUpperInvariant()} {path}";
        }
        var body = Encoding.UTF8.GetString(response.GetProperty("stream").GetProperty("data").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray());
        if (status >= 400 && !IsOpenAIError(body))
        {
            yield return $"{name}: {status} is not OpenAI's error shape: {body}";
        }
        foreach (var assertion in execution.TryGetProperty("assertions", out var assertions) ? assertions.EnumerateArray() : default)
        {
            if (assertion.TryGetProperty("error", out var failed))
            {
                yield return $"{name} ({status}): {assertion.GetProperty("assertion").GetString()} failed: {failed.GetProperty("message").GetString()} Body: {body[..Math.Min(body.Length, 400)]}";
            }
        }
    }

    private static bool IsOpenAIError(string body)
    {
        try
        {
            using var error = JsonDocument.Parse(body);
            return error.RootElement.TryGetProperty("error", out var fields)
                && fields.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                && fields.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && fields.TryGetProperty("code", out var code) && code.ValueKind is JsonValueKind.String or JsonValueKind.Null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The document's operation for a concrete path (a segment matches a template's <c>{parameter}</c>).</summary>
    private static JsonElement? Operation(JsonElement document, string method, string path)
    {
        var segments = path.Split('/');
        foreach (var template in document.GetProperty("paths").EnumerateObject())
        {
            var parts = template.Name.Split('/');
            if (parts.Length == segments.Length && parts.Zip(segments).All(p => p.First.StartsWith('{') || p.First == p.Second)
                && template.Value.TryGetProperty(method, out var operation))
            {
                return operation;
            }
        }
        return null;
    }

    private static string Name(JsonNode item) => item["name"]?.GetValue<string>() ?? "";

    private static string Signature(JsonNode item)
    {
        var request = item["request"]!;
        var body = request["body"]?["raw"]?.GetValue<string>();
        string normalized;
        try
        {
            normalized = body is null ? "" : JsonNode.Parse(body)?.ToJsonString() ?? "";
        }
        catch (JsonException)
        {
            normalized = body!;
        }
        return request["method"] + " " + request["url"]?["raw"] + " " + normalized + " " + request["body"]?["formdata"]?.ToJsonString();
    }

    private static IEnumerable<JsonNode> Items(JsonNode node)
    {
        foreach (var item in node["item"]?.AsArray() ?? [])
        {
            if (item!["item"] is not null)
            {
                foreach (var inner in Items(item))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return item;
            }
        }
    }

    private static IEnumerable<JsonNode> Folders(JsonNode node)
    {
        yield return node;
        foreach (var item in node["item"]?.AsArray() ?? [])
        {
            if (item!["item"] is not null)
            {
                foreach (var folder in Folders(item))
                {
                    yield return folder;
                }
            }
        }
    }
}
