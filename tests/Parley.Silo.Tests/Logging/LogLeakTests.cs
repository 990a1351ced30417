using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Parley.Oidc.Testing;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing.Logs;
using Xunit;

namespace Parley.Silo.Tests.Logging;

/// <summary>A silo with every category at Trace, and canaries sent through every path a secret or content can take:
/// the virtual key in Authorization (right, wrong, cut short, malformed on the wire), JWTs from a real OIDC issuer
/// (valid, with a tampered signature, with a tampered payload) and a made-up JWT-shaped token, an
/// upstream key the simulator refuses with 401, upstream 429 and 500 answers, prompts and replies (plain and streamed),
/// PII, tool-call arguments, conversation system prompts and items, a key created through the admin API, malformed
/// bodies quoting the canary. Nothing of any of them may appear in any log record: message, structured values, scopes
/// or exception text.</summary>
public sealed class LogLeakTests
{
    private const string CanaryProvider = "canary-upstream";
    private const string CanaryModel = "canary-model";

    [Fact]
    public async Task No_secret_or_content_reaches_any_log_record_at_trace_level()
    {
        var logs = new RecordingLogs();
        // A real OpenID Connect issuer, so that real JWTs (valid, then tampered with) go through the bearer handler.
        await using var issuer = await TestIssuer.StartAsync();
        var upstreamKey = "sk-" + LeakPatterns.NewCanary("upstreamkey");
        await using var harness = await SiloHarness.StartAsync(
            settings =>
            {
                settings["Logging:LogLevel:Default"] = "Trace";
                settings["Logging:LogLevel:Orleans"] = "Trace";
                settings["Logging:LogLevel:Microsoft"] = "Trace";
                settings["Logging:LogLevel:System"] = "Trace";
                settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
                // A second provider on the same simulator whose key the simulator does not know: every call 401.
                Parley.Testing.TestSiloSettings.AddSimulatorProvider(settings, CanaryProvider, SimulatorUrl(settings), upstreamKey);
                settings[$"Parley:Models:{CanaryModel}:Provider"] = CanaryProvider;
                settings[$"Parley:Models:{CanaryModel}:UpstreamModel"] = SiloHarness.UpstreamModel;
                foreach (var (key, value) in Auth.Oidc.OidcSilo.Settings(issuer))
                {
                    settings[key] = value;
                }
            },
            configureSimulator: simulator => simulator.ApiKeys = [SiloHarness.UpstreamKey],
            configureBuilder: builder =>
            {
                // Only the recording provider: Trace on the console would drown the test output.
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs);
            });

        var planted = new List<string> { upstreamKey, SiloHarness.UpstreamKey, harness.AdminKey };
        string Canary(string label)
        {
            var canary = LeakPatterns.NewCanary(label);
            planted.Add(canary);
            return canary;
        }

        // A user whose name is a canary, and a key for it (the key itself is a secret the admin API returns once).
        var admin = harness.CreateClient(harness.AdminKey);
        using var userResponse = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = Canary("username") });
        Assert.Equal(HttpStatusCode.Created, userResponse.StatusCode);
        var userId = (await userResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var keyResponse = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = Canary("keyname") });
        Assert.Equal(HttpStatusCode.Created, keyResponse.StatusCode);
        var userKey = (await keyResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        planted.Add(userKey);
        var user = harness.CreateClient(userKey);

        // Chat, plain and streamed, with content, an e-mail address and a card number (valid Luhn), and a tool call.
        var content = Canary("prompt");
        var email = $"{Canary("mail")}@example.com";
        planted.Add(email);
        const string card = "4111 1111 1111 1111";
        using (var plain = await user.PostChatAsync(Chat(SiloHarness.Model, $"{content} mail {email} card {card}", stream: false)))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            planted.Add(ReplyText(await plain.ReadJsonAsync()));
        }
        using (var streamed = await user.PostChatAsync(Chat(SiloHarness.Model, Canary("streamed"), stream: true)))
        {
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            Assert.Contains("[DONE]", await streamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var toolArguments = JsonSerializer.Serialize(JsonSerializer.Serialize(new { query = Canary("toolargs") }));
        var toolResult = JsonSerializer.Serialize(Canary("toolresult"));
        using (var tool = await user.PostChatAsync($$$"""
            {"model":"{{{SiloHarness.Model}}}","messages":[
              {"role":"user","content":"look it up"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":{{{toolArguments}}}}}]},
              {"role":"tool","tool_call_id":"call_1","content":{{{toolResult}}}}],
             "tools":{{{Tools}}}}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, tool.StatusCode);
        }

        // Upstream failures: the canary key refused with 401, and the simulator's 429 and 500 on the normal key.
        foreach (var stream in new[] { false, true })
        {
            using var refused = await user.PostChatAsync(Chat(CanaryModel, Canary("refusedkey"), stream));
            Assert.True((int)refused.StatusCode >= 400, $"Expected a refusal, got {(int)refused.StatusCode}.");
        }
        foreach (var fault in new[] { "429", "500" })
        {
            using var failed = await user.PostChatAsync(Chat(SiloHarness.Model, Canary("fault" + fault), stream: false), request =>
            {
                request.Headers.Add("x-sim-fault", fault);
                request.Headers.Add("x-sim-retry-after", "0");
            });
            Assert.True((int)failed.StatusCode >= 400, $"Expected a failure for {fault}, got {(int)failed.StatusCode}.");
        }

        // A conversation: a system prompt, items, two turns (one streamed), the items read back.
        using var created = await user.PostAsync("v1/conversations", Http.Json(JsonSerializer.Serialize(new
        {
            model = SiloHarness.Model,
            system_prompt = Canary("systemprompt"),
            items = new[] { new { type = "message", role = "user", content = Canary("item") } },
        })));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var conversationId = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        foreach (var stream in new[] { false, true })
        {
            using var turn = await user.PostChatAsync(Chat(SiloHarness.Model, Canary("turn"), stream), request =>
                request.Headers.Add("X-Parley-Conversation", conversationId));
            Assert.Equal(HttpStatusCode.OK, turn.StatusCode);
            await turn.Content.ReadAsStringAsync();
        }
        using (var items = await user.GetAsync($"v1/conversations/{conversationId}/items"))
        {
            Assert.Equal(HttpStatusCode.OK, items.StatusCode);
        }

        // JWTs from the issuer: a valid one (its user provisioned on first use), and the same with its signature and
        // then its payload altered; the token and each of its parts are secrets.
        var jwt = await issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        planted.Add(jwt);
        planted.AddRange(jwt.Split('.').Where(part => part.Length >= 16));
        using (var withJwt = await harness.CreateClient(jwt).PostChatAsync(Chat(SiloHarness.Model, Canary("jwtprompt"), stream: false)))
        {
            Assert.Equal(HttpStatusCode.OK, withJwt.StatusCode);
        }
        var parts = jwt.Split('.');
        foreach (var tampered in new[] { $"{parts[0]}.{parts[1]}.{Flip(parts[2])}", $"{parts[0]}.{Flip(parts[1])}.{parts[2]}" })
        {
            planted.AddRange(tampered.Split('.').Where(part => part.Length >= 16));
            using var refused = await harness.CreateClient(tampered).PostChatAsync(Chat(SiloHarness.Model, "hi", stream: false));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // A key and content in a query string, where no route reads them (some clients put an api-key there).
        using (var query = await user.GetAsync($"v1/models?api-key={Canary("querykey")}&q={Canary("query")}"))
        {
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        }

        // Credentials that are wrong: an unknown virtual key, a cut one, a JWT-shaped token, the admin key on /v1,
        // a user key on /admin, a key in a cookie.
        foreach (var credential in new[] { "sk-parley-" + Canary("wrongkey"), userKey[..^4], "eyJhbGciOiJIUzI1NiJ9." + Canary("jwt") + ".c2ln" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Http.ChatPath) { Content = Http.Json(Chat(SiloHarness.Model, "hi", false)) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            using var refused = await harness.CreateClient(null).SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var adminOnV1 = await admin.PostChatAsync(Chat(SiloHarness.Model, "hi", false)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, adminOnV1.StatusCode);
        }
        using (var userOnAdmin = await user.GetAsync("admin/users"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, userOnAdmin.StatusCode);
        }
        using (var cookie = new HttpRequestMessage(HttpMethod.Get, "console"))
        {
            cookie.Headers.Add("Cookie", $".Parley.Admin={Canary("cookie")}");
            using var answer = await harness.CreateClient(null).SendAsync(cookie);
            Assert.True((int)answer.StatusCode < 500);
        }

        // Malformed bodies that quote the canary: broken JSON, a wrong type, a property named twice, invalid UTF-8.
        foreach (var body in new[]
        {
            $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"{{Canary("brokenjson")}}"}""",
            $$"""{"model":"{{SiloHarness.Model}}","messages":"{{Canary("wrongtype")}}"}""",
            $$"""{"{{Canary("property")}}":1,"{{Canary("property")}}":2 """,
            $$"""{"model":{{Canary("bareword")}}}""",
        })
        {
            using var bad = await user.PostChatAsync(body);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        using (var badUtf8 = new ByteArrayContent([.. Encoding.UTF8.GetBytes($$"""{"model":"{{Canary("utf8")}}"""), 0xff, .. "\"}"u8]))
        {
            badUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var answer = await user.PostAsync(Http.ChatPath, badUtf8);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }

        // On the wire: an Authorization header Kestrel refuses (a NUL byte after the key), and a request line
        // whose target carries a canary and a byte Kestrel refuses.
        Assert.StartsWith("HTTP/1.1 400", await RawAsync(harness.SiloUrl, $"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {userKey}\0x\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", await RawAsync(harness.SiloUrl, $"GET /v1/models?{Canary("requestline")}\0 HTTP/1.1\r\nHost: x\r\n\r\n"), StringComparison.Ordinal);

        // Stopping flushes what Orleans and the hosts log on the way down.
        await harness.Silo.StopAsync();

        var lines = logs.Lines.ToList();
        if (Environment.GetEnvironmentVariable("PARLEY_LEAK_DUMP") is { Length: > 0 } dump)
        {
            await File.WriteAllLinesAsync(dump, lines);
        }
        Assert.True(lines.Count > 500, $"Only {lines.Count} records captured: is Trace on?");
        Assert.Contains(lines, line => line.Contains("Parley.Silo.Chat", StringComparison.Ordinal));
        var leaks = new List<string>();
        foreach (var line in lines)
        {
            var secret = planted.FirstOrDefault(value => value.Length > 0 && line.Contains(value, StringComparison.Ordinal));
            var pattern = LeakPatterns.Find(line);
            if (secret is not null || pattern is not null || line.Contains(card, StringComparison.Ordinal))
            {
                leaks.Add(line.Length > 600 ? line[..600] + "…" : line);
            }
        }
        Assert.True(leaks.Count == 0, $"{leaks.Count} of {lines.Count} log records carry a secret or content:\n" + string.Join("\n", leaks.Take(20)));
    }

    // The harness has pointed its own provider at the simulator by the time the settings are adjusted.
    private static Uri SimulatorUrl(IDictionary<string, string?> settings)
        => new(settings[$"Parley:Providers:{SiloHarness.ProviderName}:BaseUrl"]!);

    private static readonly string Tools = JsonSerializer.Serialize(new[]
    {
        new { type = "function", function = new { name = "lookup", parameters = new { type = "object", properties = new { query = new { type = "string" } } } } },
    });

    // Another base64url character in the middle of a token part.
    private static string Flip(string part) => part[..(part.Length / 2)] + (part[part.Length / 2] == 'A' ? 'B' : 'A') + part[(part.Length / 2 + 1)..];

    private static string Chat(string model, string content, bool stream)
        => JsonSerializer.Serialize(new { model, stream, messages = new[] { new { role = "user", content } } });

    private static string ReplyText(JsonElement completion)
        => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    private static async Task<string> RawAsync(Uri silo, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(silo.Host, silo.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return await reader.ReadLineAsync() ?? "";
    }
}
