using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Auth.Signing;

/// <summary>Keys that require signed requests, on an embedded silo: the signing secret shown once, a signed request
/// accepted, and each way a request can fail its signature refused with its own code before the endpoint sees it.</summary>
public sealed class SignedRequestTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private const string Chat = "/v1/chat/completions";
    private static readonly string ChatBody = $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"signed hello"}]}""";

    private readonly SiloHarness _harness = fixture.Harness;

    [Fact]
    public async Task The_signing_secret_is_shown_once_and_the_key_is_listed_as_requiring_signatures()
    {
        var (userId, _) = await _harness.CreateUserAsync("signer");
        var admin = _harness.CreateClient(_harness.AdminKey);
        using var created = await admin.PostAsync($"admin/users/{userId}/keys", Json("""{"name":"hmac","require_signature":true}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(key.GetProperty("require_signature").GetBoolean());
        var signingSecret = key.GetProperty("signing_secret").GetString()!;
        Assert.Matches("^ss-parley-[A-Za-z0-9_-]{43}$", signingSecret);

        var listText = await admin.GetStringAsync($"admin/users/{userId}/keys");
        Assert.DoesNotContain(signingSecret, listText);
        var listed = JsonDocument.Parse(listText).RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([false, true], listed.Select(k => k.GetProperty("require_signature").GetBoolean()));
        Assert.All(listed, k => Assert.False(k.TryGetProperty("signing_secret", out _)));

        using var wrongType = await admin.PostAsync($"admin/users/{userId}/keys", Json("""{"require_signature":"yes"}"""));
        await AssertErrorAsync(wrongType, HttpStatusCode.BadRequest, "invalid_type");
    }

    [Fact]
    public async Task A_signed_request_goes_through_and_an_unsigned_one_is_refused()
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        var client = _harness.CreateClient(key);

        using var chat = await client.SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal("chat.completion", (await chat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("object").GetString());

        // A GET signs the empty body, and the query string as sent.
        using var models = await client.SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Get, "/v1/models?x=1", body: null));
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);

        using var unsigned = await client.PostAsync(Chat.TrimStart('/'), Json(ChatBody));
        await AssertErrorAsync(unsigned, HttpStatusCode.Unauthorized, "signature_required");
    }

    [Fact]
    public async Task Each_header_is_required()
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        var client = _harness.CreateClient(key);
        foreach (var header in new[] { "X-Parley-Timestamp", "X-Parley-Nonce", "X-Parley-Signature" })
        {
            var request = RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody);
            request.Headers.Remove(header);
            using var response = await client.SendAsync(request);
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "signature_required");
        }
    }

    [Fact]
    public async Task A_signature_over_another_body_path_method_or_secret_is_invalid()
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        var (_, otherSecret) = await CreateSignedKeyAsync();
        var client = _harness.CreateClient(key);
        var before = _harness.SimState.RequestsReceived;
        var requests = new[]
        {
            RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody, signedBody: ChatBody.Replace("hello", "HELLO", StringComparison.Ordinal)),
            RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody, signedTarget: "/v1/embeddings"),
            RequestSigner.Signed(signingSecret, HttpMethod.Get, "/v1/models", body: null, signedMethod: "POST"),
            RequestSigner.Signed(signingSecret, HttpMethod.Get, "/v1/models?limit=2", body: null, signedTarget: "/v1/models?limit=3"),
            RequestSigner.Signed(otherSecret, HttpMethod.Post, Chat, ChatBody),
        };
        foreach (var request in requests)
        {
            using var response = await client.SendAsync(request);
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "signature_invalid");
        }
        Assert.Equal(before, _harness.SimState.RequestsReceived);
    }

    [Theory]
    [InlineData("v1=zz")]
    [InlineData("v2=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task A_malformed_signature_header_is_invalid(string signature)
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        var request = RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody);
        request.Headers.Remove("X-Parley-Signature");
        request.Headers.Add("X-Parley-Signature", signature);
        using var response = await _harness.CreateClient(key).SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "signature_invalid");
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has spaces in it, sixteen+")]
    public async Task A_malformed_nonce_is_invalid(string nonce)
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        using var response = await _harness.CreateClient(key).SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody, nonce: nonce));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "signature_invalid");
    }

    [Fact]
    public async Task A_timestamp_more_than_five_minutes_away_has_expired()
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        var client = _harness.CreateClient(key);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var timestamp in new[] { now - 330, now + 330 })
        {
            using var response = await client.SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody, timestamp: timestamp));
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "signature_expired");
        }
        // Within the window either way (with room for a slow machine).
        foreach (var timestamp in new[] { now - 270, now + 270 })
        {
            using var response = await client.SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Get, "/v1/models", body: null, timestamp: timestamp));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_replayed_request_is_refused_and_a_new_nonce_is_not()
    {
        var (key, signingSecret) = await CreateSignedKeyAsync();
        var client = _harness.CreateClient(key);
        var first = RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody);
        var replay = await RequestSigner.CopyAsync(first);
        var before = _harness.SimState.RequestsReceived;
        using (var response = await client.SendAsync(first))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var response = await client.SendAsync(replay))
        {
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "signature_replayed");
        }
        Assert.Equal(before + 1, _harness.SimState.RequestsReceived);

        using var fresh = await client.SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Post, Chat, ChatBody));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task A_key_without_the_flag_needs_no_signature_and_ignores_the_headers()
    {
        var (_, key) = await _harness.CreateUserAsync("plain");
        var client = _harness.CreateClient(key);
        using var plain = await client.PostAsync(Chat.TrimStart('/'), Json(ChatBody));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var bogus = RequestSigner.Signed("not-this-key's-secret", HttpMethod.Post, Chat, ChatBody);
        using var withHeaders = await client.SendAsync(bogus);
        Assert.Equal(HttpStatusCode.OK, withHeaders.StatusCode);
    }

    private async Task<(string Key, string SigningSecret)> CreateSignedKeyAsync()
    {
        var (userId, _) = await _harness.CreateUserAsync("signer");
        using var created = await _harness.CreateClient(_harness.AdminKey).PostAsync($"admin/users/{userId}/keys", Json("""{"require_signature":true}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        return (key.GetProperty("key").GetString()!, key.GetProperty("signing_secret").GetString()!);
    }

    internal static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
