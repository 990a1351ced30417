using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Auth.AuthHttpTests;

namespace Parley.Silo.Tests.Auth;

public sealed class AdminApiTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private readonly SiloHarness _harness = fixture.Harness;
    private readonly HttpClient _admin = fixture.Harness.CreateClient(fixture.Harness.AdminKey);

    [Fact]
    public async Task Users_are_created_listed_and_read()
    {
        using var created = await _admin.PostAsync("admin/users", Json("""{"name":"alice"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var alice = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = alice.GetProperty("id").GetString()!;
        Assert.Matches("^user_[0-9a-f]{24}$", id);
        Assert.Equal("user", alice.GetProperty("object").GetString());
        Assert.Equal("alice", alice.GetProperty("name").GetString());
        Assert.False(alice.GetProperty("disabled").GetBoolean());
        Assert.InRange(alice.GetProperty("created_at").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        using var bobResponse = await _admin.PostAsync("admin/users", Json("""{"name":"bob"}"""));
        var bob = await bobResponse.Content.ReadFromJsonAsync<JsonElement>();

        var list = await GetJsonAsync(_admin, "admin/users");
        Assert.Equal("list", list.GetProperty("object").GetString());
        // Other tests share this silo: their users may be listed too, but these two come in creation order.
        var ids = list.GetProperty("data").EnumerateArray().Select(u => u.GetProperty("id").GetString()!).ToList();
        Assert.True(ids.IndexOf(id) >= 0 && ids.IndexOf(id) < ids.IndexOf(bob.GetProperty("id").GetString()!), string.Join(",", ids));
        Assert.Equal(alice.GetRawText(), (await GetJsonAsync(_admin, $"admin/users/{id}")).GetRawText());
    }

    [Fact]
    public async Task A_key_secret_is_returned_once_and_listings_never_show_it()
    {
        var (userId, _) = await _harness.CreateUserAsync("alice");
        using var created = await _admin.PostAsync($"admin/users/{userId}/keys", Json("""{"name":"laptop"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = key.GetProperty("key").GetString()!;
        Assert.Matches("^sk-parley-[A-Za-z0-9_-]{43}$", secret);
        Assert.Matches("^key_[0-9a-f]{24}$", key.GetProperty("id").GetString());
        Assert.Equal("api_key", key.GetProperty("object").GetString());
        Assert.Equal(userId, key.GetProperty("user_id").GetString());
        Assert.Equal("laptop", key.GetProperty("name").GetString());
        Assert.False(key.GetProperty("revoked").GetBoolean());
        Assert.Equal(secret[^4..], key.GetProperty("hint").GetString());

        using var listResponse = await _admin.GetAsync($"admin/users/{userId}/keys");
        var listText = await listResponse.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listText);
        var keys = JsonDocument.Parse(listText).RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.False(k.TryGetProperty("key", out _)));
        Assert.Equal(key.GetProperty("id").GetString(), keys[1].GetProperty("id").GetString());

        using var works = await _harness.CreateClient(secret).GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.OK, works.StatusCode);
    }

    [Fact]
    public async Task A_key_without_a_body_or_name_gets_the_default_name()
    {
        var (userId, _) = await _harness.CreateUserAsync("alice");
        using var created = await _admin.PostAsync($"admin/users/{userId}/keys", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("default", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Revoking_returns_the_key_revoked_and_the_key_stops_working()
    {
        var (userId, secret) = await _harness.CreateUserAsync("alice");
        var keyId = (await GetJsonAsync(_admin, $"admin/users/{userId}/keys")).GetProperty("data")[0].GetProperty("id").GetString();

        using var revoked = await _admin.PostAsync($"admin/keys/{keyId}/revoke", null);
        var body = await revoked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.True(body.GetProperty("revoked").GetBoolean());
        Assert.False(body.TryGetProperty("key", out _));
        Assert.True((await GetJsonAsync(_admin, $"admin/users/{userId}/keys")).GetProperty("data")[0].GetProperty("revoked").GetBoolean());

        using var refused = await _harness.CreateClient(secret).GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_user_disables_it_revokes_its_keys_and_refuses_new_ones()
    {
        var (userId, secret) = await _harness.CreateUserAsync("alice");
        using var deleted = await _admin.DeleteAsync($"admin/users/{userId}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.True((await deleted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("disabled").GetBoolean());

        using var refused = await _harness.CreateClient(secret).GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.All((await GetJsonAsync(_admin, $"admin/users/{userId}/keys")).GetProperty("data").EnumerateArray(),
            k => Assert.True(k.GetProperty("revoked").GetBoolean()));
        using var newKey = await _admin.PostAsync($"admin/users/{userId}/keys", Json("{}"));
        await AssertErrorAsync(newKey, HttpStatusCode.BadRequest, null, "user_disabled");
    }

    [Theory]
    [InlineData("GET", "admin/users/user_000000000000000000000000", "user_not_found")]
    [InlineData("DELETE", "admin/users/user_000000000000000000000000", "user_not_found")]
    [InlineData("POST", "admin/users/user_000000000000000000000000/keys", "user_not_found")]
    [InlineData("GET", "admin/users/user_000000000000000000000000/keys", "user_not_found")]
    [InlineData("POST", "admin/keys/key_000000000000000000000000/revoke", "key_not_found")]
    public async Task Unknown_ids_are_404(string method, string path, string code)
    {
        using var response = await _admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertErrorAsync(response, HttpStatusCode.NotFound, null, code);
    }

    [Theory]
    [InlineData("{", null, "invalid_json")]
    [InlineData("[]", null, "invalid_type")]
    [InlineData("{}", "name", "missing_required_parameter")]
    [InlineData("""{"name":42}""", "name", "invalid_type")]
    [InlineData("""{"name":"  "}""", "name", "invalid_value")]
    [InlineData("""{"name":"a","role":"admin"}""", "role", "unknown_parameter")]
    public async Task Bad_user_bodies_are_400_with_the_parameter(string body, string? param, string code)
    {
        using var response = await _admin.PostAsync("admin/users", Json(body));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, param, code);
    }

    [Fact]
    public async Task An_empty_user_body_is_a_missing_name()
    {
        using var response = await _admin.PostAsync("admin/users", null);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "name", "missing_required_parameter");
    }

    internal static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    internal static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? param, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(status == HttpStatusCode.NotFound || status == HttpStatusCode.BadRequest ? "invalid_request_error" : error.GetProperty("type").GetString(),
            error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }
}
