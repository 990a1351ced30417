using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Hostile;

/// <summary>Hostile input on every route the silo maps (enumerated from ASP.NET Core's endpoint data source, so new
/// routes are covered as they are added): every answer is below 500, every 4xx the application writes is OpenAI's
/// error shape, and nothing is logged as an error.</summary>
public sealed class HostileInputTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    private const int Concurrency = 4;

    /// <summary>A body of the right shape for the routes that read one, so the variants reach the values the route
    /// parses; any other route gets <see cref="DefaultSeed"/>.</summary>
    private static readonly Dictionary<string, string> Seeds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["POST /v1/chat/completions"] = $$$"""{"model":"{{{SiloHarness.Model}}}","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":"a","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}],"max_tokens":5,"max_completion_tokens":5,"temperature":0.5,"stream":false,"stream_options":{"include_usage":true},"conversation":"CONVERSATION","n":1}""",
        ["POST /v1/conversations"] = $$"""{"model":"{{SiloHarness.Model}}","system_prompt":"be brief","context_window":4000,"metadata":{"k":"v"},"items":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]}""",
        ["POST /v1/conversations/{conversationId}"] = """{"metadata":{"k":"v"},"system_prompt":"s","context_window":4000}""",
        ["POST /v1/conversations/{conversationId}/items"] = """{"items":[{"type":"message","role":"user","content":"hi"}]}""",
        ["POST /admin/users"] = """{"name":"n"}""",
        ["POST /admin/users/{userId}/keys"] = """{"name":"n"}""",
        ["PUT /admin/users/{userId}/limits"] = """{"requests_per_minute":5,"tokens_per_minute":100,"concurrent_requests":2,"tokens_per_day":1000,"tokens_per_month":10000,"usd_per_day":1.5,"usd_per_month":10}""",
        ["PUT /admin/keys/{keyId}/limits"] = """{"requests_per_minute":5,"tokens_per_day":1000,"usd_per_month":10}""",
        ["PUT /admin/users/{userId}/policy"] = """{"policy":"p"}""",
        ["PUT /admin/keys/{keyId}/policy"] = """{"policy":"p"}""",
    };

    /// <summary>Pages for browsers, whose refusals are HTML pages; every other route answers in OpenAI's shape.</summary>
    private static readonly HashSet<string> BrowserPages = ["/admin/sign-in", "/admin/sign-out"];

    private const string DefaultSeed = """{"name":"n","model":"parley-sim","metadata":{"k":"v"},"items":[{"a":1}]}""";

    [Fact]
    public void EveryRouteOfThePublicAndAdminApiIsEnumerated()
    {
        var routes = fixture.Routes.Select(r => r.ToString()).ToHashSet();
        // The enumeration is the test's coverage: it must see the silo's routes, whichever feature maps them.
        foreach (var expected in new[]
        {
            "POST /v1/chat/completions", "GET /v1/models", "GET /v1/models/{id}", "POST /v1/conversations", "POST /v1/conversations/{conversationId}/items",
            "DELETE /v1/conversations/{conversationId}/items/{itemId}", "GET /v1/usage", "POST /admin/users", "POST /admin/keys/{keyId}/revoke",
            "PUT /admin/users/{userId}/limits", "PUT /admin/keys/{keyId}/policy", "POST /admin/upstream-keys/{provider}/{keyId}/enable",
            "GET /admin/conversations/{conversationId}/context", "GET /health/ready", "POST /admin/sign-in",
        })
        {
            Assert.Contains(expected, routes);
        }
        Assert.True(fixture.Routes.Count >= 40, $"Only {fixture.Routes.Count} routes: {string.Join(", ", routes)}");
    }

    [Fact]
    public async Task HostileBodiesOnEveryRouteNeverGetA5xxAndEvery4xxIsOpenAIShaped()
    {
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        // Routes that delete go last, so the others still find the conversation and the user they name.
        foreach (var phase in fixture.Routes.GroupBy(r => r.Method == "DELETE").OrderBy(g => g.Key))
        {
            var work = phase.SelectMany(route => HostileVariants.For(SeedFor(route), Seeds.ContainsKey(route.ToString())).Select(body => (route, body))).ToList();
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (item, _) =>
            {
                var (route, body) = item;
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path.TrimStart('/')) { Content = new ByteArrayContent(body.Bytes) };
                request.Content.Headers.ContentType = null;
                if (body.ContentType is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", body.ContentType);
                }
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", route.Key);
                // A connection per request: the server may close one after refusing a body it did not read, and a
                // pooled connection reused at that moment would fail the next variant, not this one.
                request.Headers.ConnectionClose = true;
                HttpResponseMessage response;
                try
                {
                    response = await Client.SendAsync(request);
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{route} [{body.Name}]: no answer ({e.InnerException?.Message ?? e.Message})");
                    return;
                }
                using var _r = response;
                Interlocked.Increment(ref sent);
                var text = await response.Content.ReadAsStringAsync();
                if (Check(route, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text) is { } problem)
                {
                    failures.Enqueue($"{route} [{body.Name}]: {problem}");
                }
            });
        }
        AssertNone(failures, sent);
    }

    [Fact]
    public async Task MalformedFramingAndHeadersOnEveryRouteNeverGetA5xx()
    {
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        var cases = new (string Name, Func<HostileRoute, string> Head, byte[] Body, bool HalfClose, bool ByKestrel)[]
        {
            ("chunk-size-ZZ", r => Head(r, "Transfer-Encoding: chunked"), "ZZ\r\n{}\r\n0\r\n\r\n"u8.ToArray(), false, false),
            ("chunk-truncated", r => Head(r, "Transfer-Encoding: chunked"), "10\r\n{\"name\""u8.ToArray(), true, false),
            ("chunk-no-terminator", r => Head(r, "Transfer-Encoding: chunked"), "2\r\n{}"u8.ToArray(), true, false),
            ("chunk-size-overflow", r => Head(r, "Transfer-Encoding: chunked"), "FFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n"u8.ToArray(), false, false),
            ("chunk-invalid-utf8", r => Head(r, "Transfer-Encoding: chunked"), "6\r\n{\"\xFF\":1}\r\n0\r\n\r\n"u8.ToArray(), false, false),
            ("content-length-short", r => Head(r, "Content-Length: 100"), "{\"name\":"u8.ToArray(), true, false),
            ("content-length-negative", r => Head(r, "Content-Length: -1"), "{}"u8.ToArray(), false, true),
            ("content-length-huge", r => Head(r, "Content-Length: 99999999999999999999"), "{}"u8.ToArray(), false, true),
            ("cr-in-header-value", r => Head(r, "X-Parley-Conversation: conv_a\rb", "Content-Length: 2"), "{}"u8.ToArray(), false, true),
            ("lf-in-header-value", r => Head(r, "Idempotency-Key: a\nX-Injected: 1", "Content-Length: 2"), "{}"u8.ToArray(), false, false),
            ("crlf-in-authorization", r => Head(r, "Content-Length: 2").Replace("Authorization: Bearer ", "Authorization: Bearer x\r\n\r\n", StringComparison.Ordinal), "{}"u8.ToArray(), false, false),
            ("nul-in-header-value", r => Head(r, "x-request-id: a\0b", "Content-Length: 2"), "{}"u8.ToArray(), false, true),
        };
        var nonAsciiHeaders = new[] { "X-Parley-Conversation", "Idempotency-Key", "x-request-id", "Authorization" };
        await Parallel.ForEachAsync(fixture.Routes.Where(r => r.Method != "DELETE"), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (route, _) =>
        {
            foreach (var (name, head, body, halfClose, byKestrel) in cases)
            {
                await SendRawAsync(route, name, Encoding.Latin1.GetBytes(head(route)), body, halfClose, byKestrel);
            }
            foreach (var header in nonAsciiHeaders)
            {
                // Raw bytes that are not ASCII (nor UTF-8) in a header the silo reads.
                var headBytes = Encoding.Latin1.GetBytes(Head(route, "Content-Length: 2").Replace($"\r\n{header}: ", "\r\nX-Replaced: ", StringComparison.OrdinalIgnoreCase))
                    .Concat(Encoding.ASCII.GetBytes($"\r\n{header}: conv_")).Concat(new byte[] { 0xFF, 0xED, 0xA0, 0x80 }).ToArray();
                await SendRawAsync(route, header + "-non-ascii", headBytes, "{}"u8.ToArray(), false, false);
            }
        });
        AssertNone(failures, sent);

        async Task SendRawAsync(HostileRoute route, string name, byte[] head, byte[] body, bool halfClose, bool byKestrel)
        {
            var response = await RawHttp.SendAsync(fixture.Harness.SiloUrl, head, body, halfClose);
            Interlocked.Increment(ref sent);
            // Kestrel refuses a malformed request line or header itself, before any application code: 400 with an empty
            // body. Everything else is the application's, in OpenAI's shape.
            var problem = response.Status == 400 && response.Body.Length == 0 && response.Header("Content-Type") is null
                ? null
                : Check(route, response.Status, response.Header("Content-Type")?.Split(';')[0], Encoding.UTF8.GetString(response.Body));
            // A client that shut its side mid-body has gone: the server may close without an answer.
            if (response.Status == 0 && !halfClose || problem is not null)
            {
                failures.Enqueue($"{route} [{name}]: {problem ?? "no answer"} ({response.Head.Split("\r\n")[0]})");
            }
            _ = byKestrel;
        }
    }

    private static string Head(HostileRoute route, params string[] headers)
        => $"{route.Method} {route.Path} HTTP/1.1\r\nAuthorization: Bearer {route.Key}\r\nContent-Type: application/json\r\n" + string.Join("\r\n", headers);

    private HttpClient Client => _client ??= fixture.Harness.CreateClient(key: null);
    private HttpClient? _client;

    private string SeedFor(HostileRoute route)
        => (Seeds.GetValueOrDefault(route.ToString()) ?? DefaultSeed).Replace("CONVERSATION", fixture.ConversationId, StringComparison.Ordinal);

    /// <summary>Null when the answer is acceptable: below 500, and a 4xx in OpenAI's error shape.</summary>
    private static string? Check(HostileRoute route, int status, string? mediaType, string body)
    {
        if (status >= 500)
        {
            return $"answered {status}: {Truncate(body)}";
        }
        if (status is < 400 or >= 500)
        {
            return null;
        }
        if (BrowserPages.Contains(route.Pattern) && mediaType == "text/html")
        {
            // The sign-in and sign-out pages answer a browser's bad form with the page again (status 400), not JSON.
            return null;
        }
        if (route.Pattern.StartsWith("/dashboard", StringComparison.Ordinal) && mediaType == "application/problem+json")
        {
            // The Orleans Dashboard's own JSON API for its page refuses in RFC 9457's shape (e.g. 403 for its trace
            // stream, which Parley leaves off); only the admins' browser reads it.
            return null;
        }
        if (mediaType != "application/json")
        {
            return $"answered {status} as {mediaType ?? "no content type"}: {Truncate(body)}";
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            var error = document.RootElement.GetProperty("error");
            if (error.GetProperty("message").ValueKind != JsonValueKind.String || error.GetProperty("type").ValueKind != JsonValueKind.String
                || error.GetProperty("code").ValueKind is not (JsonValueKind.String or JsonValueKind.Null)
                || error.TryGetProperty("param", out var param) && param.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return $"answered {status} with a malformed error: {Truncate(body)}";
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"answered {status} without OpenAI's error shape: {Truncate(body)}";
        }
    }

    /// <summary>Fails with every wrong answer grouped by route and problem (a count and a few of the variants behind
    /// it), and every distinct error logged, so one run shows each class of failure.</summary>
    private void AssertNone(ConcurrentQueue<string> failures, int sent)
    {
        var errors = fixture.Logs.Errors.ToList();
        var report = new StringBuilder();
        report.AppendLine($"{failures.Count} of {sent} hostile requests were answered wrongly; {errors.Count} errors logged.");
        var groups = failures.Select(f => (Key: Regex.Replace(f, @" \[[^\]]*\]: ", " → ", RegexOptions.None, TimeSpan.FromSeconds(1)), Variant: f))
            .GroupBy(f => Truncate(f.Key, 220));
        foreach (var group in groups.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            report.AppendLine($"{group.Count()} × {group.Key}   e.g. {string.Join(" | ", group.Take(3).Select(g => g.Variant[..g.Variant.IndexOf("]:", StringComparison.Ordinal)]))}]");
        }
        foreach (var error in errors.Select(e => Truncate(Regex.Replace(e, @"\b(conv|user|key|item|msg)_[0-9a-f]+", "$1_…", RegexOptions.None, TimeSpan.FromSeconds(1)), 400)).Distinct().Take(30))
        {
            report.AppendLine("LOGGED: " + error);
        }
        Assert.True(failures.IsEmpty && errors.Count == 0, report.ToString());
        Assert.True(sent > 0);
    }

    private static string Truncate(string text, int max = 200) => text.Length <= max ? text : text[..max] + "…";
}
