using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Auth;

/// <summary>The authentication middleware through real HTTP: exact status codes and bodies.</summary>
public sealed class AuthHttpTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private const string MissingKeyBody =
        """{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";

    private const string IncorrectKeyBody =
        """{"error":{"message":"Incorrect API key provided. Ask your Parley administrator for a valid key.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";

    private const string AdminOnlyBody =
        """{"error":{"message":"This endpoint requires the Parley admin key.","type":"permission_error","param":null,"code":"insufficient_permissions"}}""";

    private const string UserOnlyBody =
        """{"error":{"message":"The admin key cannot call this endpoint; use a user's API key.","type":"permission_error","param":null,"code":"insufficient_permissions"}}""";

    private readonly SiloHarness _harness = fixture.Harness;

    [Theory]
    [InlineData("GET", "v1/models")]
    [InlineData("POST", "v1/chat/completions")]
    [InlineData("POST", "v1/conversations")]
    [InlineData("GET", "v1/conversations/conv_00000000000000000000000000000000/items")]
    [InlineData("GET", "admin/users")]
    public async Task No_key_is_401_with_OpenAIs_message(string method, string path)
    {
        var client = _harness.CreateClient(null);
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") });
        await AssertBodyAsync(response, HttpStatusCode.Unauthorized, MissingKeyBody);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer    ")]
    [InlineData("sk-parley-not-a-bearer-scheme")]
    public async Task A_header_without_a_bearer_token_is_a_missing_key(string header)
    {
        var client = _harness.CreateClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await client.SendAsync(request);
        await AssertBodyAsync(response, HttpStatusCode.Unauthorized, MissingKeyBody);
    }

    [Theory]
    [InlineData("sk-parley-thisKeyWasNeverIssued0000000000000000000")]
    [InlineData("not-even-shaped-like-a-key")]
    public async Task An_unknown_key_is_401_invalid_api_key(string key)
    {
        using var response = await _harness.CreateClient(key).GetAsync("v1/models");
        await AssertBodyAsync(response, HttpStatusCode.Unauthorized, IncorrectKeyBody);
    }

    [Fact]
    public async Task A_user_key_on_the_admin_api_is_403_and_the_admin_key_on_the_public_api_is_403()
    {
        var (_, key) = await _harness.CreateUserAsync("alice");
        using var adminCall = await _harness.CreateClient(key).GetAsync("admin/users");
        await AssertBodyAsync(adminCall, HttpStatusCode.Forbidden, AdminOnlyBody);

        using var publicCall = await _harness.CreateClient(_harness.AdminKey).GetAsync("v1/models");
        await AssertBodyAsync(publicCall, HttpStatusCode.Forbidden, UserOnlyBody);
    }

    [Fact]
    public async Task A_valid_user_key_passes_and_the_scheme_is_case_insensitive()
    {
        var (_, key) = await _harness.CreateUserAsync("alice");
        var client = _harness.CreateClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", "bearer " + key);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_the_next_call()
    {
        var (userId, key) = await _harness.CreateUserAsync("alice");
        var user = _harness.CreateClient(key);
        using (var before = await user.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        var admin = _harness.CreateClient(_harness.AdminKey);
        var keyId = (await AdminApiTests.GetJsonAsync(admin, $"admin/users/{userId}/keys")).GetProperty("data")[0].GetProperty("id").GetString();
        using (var revoke = await admin.PostAsync($"admin/keys/{keyId}/revoke", null))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using var after = await user.GetAsync("v1/models");
        await AssertBodyAsync(after, HttpStatusCode.Unauthorized, IncorrectKeyBody);
    }

    [Fact]
    public async Task Health_endpoints_need_no_key()
    {
        using var response = await _harness.CreateClient(null).GetAsync("health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    internal static async Task AssertBodyAsync(HttpResponseMessage response, HttpStatusCode status, string body)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var actual = await response.Content.ReadAsStringAsync();
        // Compared as JSON: an encoder may escape characters (' as \u0027) without changing the value.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), JsonNode.Parse(actual)), $"Expected {body}{Environment.NewLine}but got {actual}");
    }
}
