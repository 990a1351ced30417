using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Silo.Audit;
using Parley.Silo.Audit.Stores;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Audit;

/// <summary>A silo with the embedded (SQLite) audit trail, prices for <see cref="SiloHarness.Model"/>, and a policy that
/// flags e-mails for <see cref="SiloHarness.OtherModel"/> only.</summary>
public sealed class AuditFixture : SiloFixture
{
    public const decimal InputPrice = 2m;
    public const decimal OutputPrice = 10m;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings[$"Parley:Quotas:Prices:{SiloHarness.Model}:InputUsdPerMillion"] = "2";
        settings[$"Parley:Quotas:Prices:{SiloHarness.Model}:OutputUsdPerMillion"] = "10";
        settings[$"Parley:Policy:Models:{SiloHarness.OtherModel}"] = "watch";
        settings["Parley:Policy:Policies:watch:Rules:0:Id"] = "email-seen";
        settings["Parley:Policy:Policies:watch:Rules:0:Detector"] = "Email";
        settings["Parley:Policy:Policies:watch:Rules:0:Action"] = "Flag";
    }

    // Long answers (the abort test asks for thousands of tokens) take seconds; the default short ones milliseconds.
    protected override void ConfigureSimulator(Sim.Hosting.SimulatorOptions options) => options.TokensPerSecond = 2_000;
}

/// <summary>Real requests through a real silo leave exactly one record each, with exact fields; the admin routes query,
/// page, export and verify them; no record ever holds an e-mail address, a card number or an API key.</summary>
public sealed class AuditEndToEndTests(AuditFixture fixture) : IClassFixture<AuditFixture>
{
    private const string RawEmail = "alice.smith@example.com";
    private const string RawCard = "4111 1111 1111 1111";
    private const string RawKey = "sk-proj-Zq8vN3xK7mP2wR5tY9uB4cD6eF1gH0jL";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly SiloHarness _harness = fixture.Harness;

    private IAuditStore Store => _harness.Services.GetRequiredService<IAuditStore>();
    private string Chain => _harness.Services.GetRequiredService<AuditSink>().Chain;

    private static string NewId(string what) => "audit-" + what + "-" + Guid.NewGuid().ToString("N");

    private static void Id(HttpRequestMessage request, string id) => request.Headers.Add("x-request-id", id);

    private async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string id, string? json = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        Id(request, id);
        if (json is not null)
        {
            request.Content = Http.Json(json);
        }
        configure?.Invoke(request);
        return await client.SendAsync(request);
    }

    /// <summary>The records of these request ids, once all are stored (one each, or the test fails).</summary>
    private async Task<Dictionary<string, AuditRecord>> RecordsAsync(params string[] ids)
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            var all = await AuditTestData.AllAsync(Store);
            var matching = all.Where(r => ids.Contains(r.RequestId)).ToList();
            if (matching.Count >= ids.Length || DateTime.UtcNow - started > Deadline)
            {
                Assert.Equal(ids.Order(), matching.Select(r => r.RequestId).Order());
                return matching.ToDictionary(r => r.RequestId);
            }
            await Task.Delay(20);
        }
    }

    private async Task<(string UserId, string KeyId, HttpClient Client)> NewUserAsync(HttpClient admin, string name)
    {
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        var userId = (await user.ReadJsonAsync()).GetProperty("id").GetString()!;
        using var keyResponse = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = name });
        var key = await keyResponse.ReadJsonAsync();
        return (userId, key.GetProperty("id").GetString()!, _harness.CreateClient(key.GetProperty("key").GetString()!));
    }

    private void AssertCommon(AuditRecord record, string userId, string keyId, string method, string route, int status, DateTime before)
    {
        Assert.Equal(Chain, record.Silo);
        Assert.Equal(userId, record.UserId);
        Assert.Equal(keyId, record.KeyId);
        Assert.Equal(method, record.Method);
        Assert.Equal(route, record.Route);
        Assert.Equal(status, record.Status);
        var time = DateTimeOffset.UnixEpoch.AddTicks(record.TimeUs * TimeSpan.TicksPerMicrosecond).UtcDateTime;
        Assert.InRange(time, before, DateTime.UtcNow);
        Assert.InRange(record.LatencyUs, 1, 60_000_000);
        Assert.Equal(32, record.Hash.Length);
    }

    private static long Cost(int prompt, int completion) => (long)Math.Ceiling(prompt * AuditFixture.InputPrice + completion * AuditFixture.OutputPrice);

    [Fact]
    public async Task Chats_a_conversation_turn_and_its_replay_an_admin_call_and_refusals_each_leave_one_exact_record()
    {
        var before = DateTime.UtcNow.AddMilliseconds(-1);
        var admin = _harness.CreateClient(_harness.AdminKey);
        var (userId, keyId, client) = await NewUserAsync(admin, "audited");
        var ids = new Dictionary<string, string>();
        string Next(string what) => ids[what] = NewId(what);

        using var chat = await SendAsync(client, HttpMethod.Post, "v1/chat/completions", Next("chat"),
            $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the capital of France?"}]}""");
        var chatUsage = (await chat.ReadJsonAsync()).GetProperty("usage");
        using var stream = await SendAsync(client, HttpMethod.Post, "v1/chat/completions", Next("stream"),
            $$"""{"model":"{{SiloHarness.Model}}","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count to three."}]}""");
        var streamUsage = JsonDocument.Parse(Http.DataEvents(await stream.Content.ReadAsStringAsync())[^2]).RootElement.GetProperty("usage");
        using var created = await SendAsync(client, HttpMethod.Post, "v1/conversations", Next("create"), "{}");
        var conversation = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        var turnBody = $$"""{"model":"{{SiloHarness.Model}}","conversation":"{{conversation}}","messages":[{"role":"user","content":"Remember 7."}]}""";
        using var turn = await SendAsync(client, HttpMethod.Post, "v1/chat/completions", Next("turn"), turnBody, r => r.Headers.Add("Idempotency-Key", "t1"));
        var turnUsage = (await turn.ReadJsonAsync()).GetProperty("usage");
        using var replay = await SendAsync(client, HttpMethod.Post, "v1/chat/completions", Next("replay"), turnBody, r => r.Headers.Add("Idempotency-Key", "t1"));
        Assert.Equal("true", replay.Header("x-parley-replay"));
        using var items = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{conversation}/items", Next("items"));
        using var adminCall = await SendAsync(admin, HttpMethod.Get, $"admin/users/{userId}", Next("admin"));
        using var unknownModel = await SendAsync(client, HttpMethod.Post, "v1/chat/completions", Next("unknown-model"),
            """{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}""");
        using var anonymous = await SendAsync(_harness.CreateClient(null), HttpMethod.Get, "v1/models", Next("anonymous"));
        using var forbidden = await SendAsync(client, HttpMethod.Get, "admin/users", Next("forbidden"));
        using var missing = await SendAsync(client, HttpMethod.Get, "v1/no-such-route", Next("unmatched"));

        Assert.Equal(HttpStatusCode.OK, items.StatusCode);
        Assert.Equal(HttpStatusCode.OK, adminCall.StatusCode);
        var unknownCode = (await unknownModel.ReadJsonAsync()).GetProperty("error").GetProperty("code").GetString();
        var records = await RecordsAsync([.. ids.Values]);

        var r = records[ids["chat"]];
        AssertCommon(r, userId, keyId, "POST", "/v1/chat/completions", 200, before);
        var (prompt, completion) = (chatUsage.GetProperty("prompt_tokens").GetInt32(), chatUsage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal((SiloHarness.Model, "sim/sim-small", prompt, completion, Cost(prompt, completion)),
            (r.Model, r.Deployment, r.PromptTokens, r.CompletionTokens, r.CostMicros));
        Assert.Equal((null, null, false, null, "What is the capital of France?"), (r.ErrorCode, r.ConversationId, r.Replay, r.Policy, r.Excerpt));

        r = records[ids["stream"]];
        AssertCommon(r, userId, keyId, "POST", "/v1/chat/completions", 200, before);
        (prompt, completion) = (streamUsage.GetProperty("prompt_tokens").GetInt32(), streamUsage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal((SiloHarness.Model, "sim/sim-small", prompt, completion, Cost(prompt, completion)),
            (r.Model, r.Deployment, r.PromptTokens, r.CompletionTokens, r.CostMicros));
        Assert.Equal((null, null, false, "Count to three."), (r.ErrorCode, r.ConversationId, r.Replay, r.Excerpt));

        r = records[ids["create"]];
        AssertCommon(r, userId, keyId, "POST", "/v1/conversations", 200, before);
        Assert.Equal((null, null, null, null, null, null, null), (r.Model, r.Deployment, r.PromptTokens, r.CostMicros, r.ErrorCode, r.ConversationId, r.Excerpt));

        r = records[ids["turn"]];
        AssertCommon(r, userId, keyId, "POST", "/v1/chat/completions", 200, before);
        (prompt, completion) = (turnUsage.GetProperty("prompt_tokens").GetInt32(), turnUsage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal((SiloHarness.Model, "sim/sim-small", prompt, completion, Cost(prompt, completion), conversation, false, "Remember 7."),
            (r.Model, r.Deployment, r.PromptTokens, r.CompletionTokens, r.CostMicros, r.ConversationId, r.Replay, r.Excerpt));

        r = records[ids["replay"]];
        AssertCommon(r, userId, keyId, "POST", "/v1/chat/completions", 200, before);
        Assert.Equal((SiloHarness.Model, null, null, null, conversation, true, "Remember 7."),
            (r.Model, r.Deployment, r.PromptTokens, r.CostMicros, r.ConversationId, r.Replay, r.Excerpt));

        r = records[ids["items"]];
        AssertCommon(r, userId, keyId, "GET", "/v1/conversations/{conversationId}/items", 200, before);
        Assert.Equal(conversation, r.ConversationId);

        r = records[ids["admin"]];
        AssertCommon(r, "", "key_configured_admin", "GET", "/admin/users/{userId}", 200, before);
        Assert.Equal((null, null, null), (r.Model, r.ErrorCode, r.Excerpt));

        r = records[ids["unknown-model"]];
        AssertCommon(r, userId, keyId, "POST", "/v1/chat/completions", (int)unknownModel.StatusCode, before);
        Assert.InRange(r.Status, 400, 404);
        Assert.Equal((unknownCode, null, null, null), (r.ErrorCode, r.Model, r.Deployment, r.Excerpt));

        r = records[ids["anonymous"]];
        AssertCommon(r, "", "", "GET", "/v1/models", 401, before);
        Assert.Equal("invalid_api_key", r.ErrorCode);

        r = records[ids["forbidden"]];
        AssertCommon(r, userId, keyId, "GET", "/admin/users", 403, before);
        Assert.Equal("insufficient_permissions", r.ErrorCode);

        r = records[ids["unmatched"]];
        AssertCommon(r, "", "", "GET", "(unmatched)", 404, before);
        Assert.Equal("unknown_url", r.ErrorCode);

        // One record per request: the chain has no gap and verifies.
        Assert.Equal(records.Count, records.Values.Select(x => x.Seq).Distinct().Count());
        Assert.True((await AuditTestData.VerifyAsync(Store, Chain)).Intact);
    }

    [Fact]
    public async Task A_stream_the_client_leaves_is_recorded_once_with_status_499()
    {
        var admin = _harness.CreateClient(_harness.AdminKey);
        var (userId, keyId, client) = await NewUserAsync(admin, "leaver");
        var before = DateTime.UtcNow.AddMilliseconds(-1);
        var id = NewId("abort");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions"))
        {
            Id(request, id);
            request.Headers.Add(Sim.Faults.SimHeaders.ResponseTokens, "20000");
            request.Content = Http.Json($$"""{"model":"{{SiloHarness.Model}}","stream":true,"messages":[{"role":"user","content":"Talk for a while."}]}""");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }

        var r = (await RecordsAsync(id))[id];
        AssertCommon(r, userId, keyId, "POST", "/v1/chat/completions", 499, before);
        Assert.Equal((SiloHarness.Model, "sim/sim-small", "Talk for a while."), (r.Model, r.Deployment, r.Excerpt));
        Assert.InRange(r.CompletionTokens ?? 0, 1, 19_999);
    }

    [Fact]
    public async Task No_e_mail_address_card_number_or_api_key_reaches_the_trail_with_or_without_a_policy()
    {
        var admin = _harness.CreateClient(_harness.AdminKey);
        var (_, _, client) = await NewUserAsync(admin, "raw");
        var prompt = $"Mail {RawEmail}, card {RawCard}, key {RawKey} please";
        var ids = new List<string>();
        foreach (var (model, stream) in new[] { (SiloHarness.Model, false), (SiloHarness.Model, true), (SiloHarness.OtherModel, false) })
        {
            var id = NewId("raw");
            ids.Add(id);
            using var response = await SendAsync(client, HttpMethod.Post, "v1/chat/completions", id,
                JsonSerializer.Serialize(new { model, stream, messages = new[] { new { role = "user", content = prompt } } }));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
        }
        var records = await RecordsAsync([.. ids]);

        Assert.All(records.Values, r => Assert.Equal("Mail [EMAIL], card [CARD], key [API_KEY] please", r.Excerpt));
        Assert.Equal([null, null, "in:email-seen:flag"], ids.Select(id => records[id].Policy));
        // Nowhere: not in the export, not in the database file or its write-ahead log.
        using var export = await admin.GetAsync("admin/audit/export");
        var exported = await export.Content.ReadAsStringAsync();
        var directory = _harness.Services.GetRequiredService<IOptions<AuditOptions>>().Value.EffectiveDirectory;
        var files = Directory.GetFiles(directory, "audit.db*").Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }).ToList();
        Assert.NotEmpty(files);
        foreach (var raw in new[] { RawEmail, "alice.smith", RawCard, RawCard.Replace(" ", ""), RawKey, "Zq8vN3xK7mP2wR5t" })
        {
            Assert.DoesNotContain(raw, exported);
            Assert.All(files, text => Assert.DoesNotContain(raw, text));
        }
        Assert.Contains("[CARD]", exported);
    }

    [Fact]
    public async Task The_admin_routes_filter_page_export_and_verify_and_refuse_bad_filters()
    {
        var admin = _harness.CreateClient(_harness.AdminKey);
        var (userId, keyId, client) = await NewUserAsync(admin, "pager");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = NewId("page");
            ids.Add(id);
            using var response = await SendAsync(client, HttpMethod.Get, "v1/models", id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await RecordsAsync([.. ids]);

        var pages = new List<JsonElement>();
        var next = $"admin/audit/records?user={userId}&key={keyId}&status=200&limit=2";
        while (true)
        {
            using var response = await admin.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.ReadJsonAsync();
            pages.Add(page);
            if (!page.GetProperty("has_more").GetBoolean())
            {
                Assert.Equal(JsonValueKind.Null, page.GetProperty("next_cursor").ValueKind);
                break;
            }
            next = $"admin/audit/records?user={userId}&key={keyId}&status=200&limit=2&cursor={page.GetProperty("next_cursor").GetString()}";
        }
        Assert.Equal([2, 2, 1], pages.Select(p => p.GetProperty("data").GetArrayLength()));
        var listed = pages.SelectMany(p => p.GetProperty("data").EnumerateArray()).Select(r => r.GetProperty("request_id").GetString()).ToList();
        Assert.Equal(Enumerable.Reverse(ids), listed);

        using var export = await admin.GetAsync($"admin/audit/export?user={userId}");
        Assert.Equal("application/x-ndjson", export.Content.Headers.ContentType?.MediaType);
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(listed, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()));
        // Each exported line verifies offline: its hash follows from its predecessor's by the documented rule.
        var exportedRecords = lines.Select(l => AuditCodec.Parse(Encoding.UTF8.GetBytes(l))).OrderBy(x => x.Seq).ToList();
        var all = (await AuditTestData.AllAsync(Store)).ToDictionary(x => x.Seq);
        Assert.All(exportedRecords, x => Assert.Equal(x.Hash, AuditCodec.ComputeHash(all.TryGetValue(x.Seq - 1, out var p) ? p.Hash : AuditCodec.GenesisHash, x)));

        using var verify = await admin.GetAsync("admin/audit/verify");
        var verdict = await verify.ReadJsonAsync();
        Assert.True(verdict.GetProperty("intact").GetBoolean());
        Assert.Contains(verdict.GetProperty("chains").EnumerateArray(), c => c.GetProperty("silo").GetString() == Chain && c.GetProperty("intact").GetBoolean());

        foreach (var (query, param) in new[] { ("status=abc", "status"), ("status=700", "status"), ("from=yesterday", "from"), ("limit=0", "limit"),
                     ("limit=5000", "limit"), ("cursor=%%%", "cursor"), ("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to"), ("user=%00x", "user") })
        {
            using var bad = await admin.GetAsync("admin/audit/records?" + query);
            await bad.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_audit_filter", param);
        }
        using var unknownChain = await admin.GetAsync("admin/audit/verify?silo=nowhere");
        await unknownChain.AssertErrorAsync(HttpStatusCode.NotFound, "audit_chain_not_found", "silo");
        using var notAdmin = await client.GetAsync("admin/audit/records");
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
    }
}
