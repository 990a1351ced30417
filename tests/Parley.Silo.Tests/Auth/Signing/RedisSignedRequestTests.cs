using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using StackExchange.Redis;
using Xunit;
using static Parley.Silo.Tests.Auth.Signing.SignedRequestTests;

namespace Parley.Silo.Tests.Auth.Signing;

/// <summary>Signed requests on two silos sharing a real redis-server: a nonce used on one silo is refused on the other,
/// and the signing secret is stored only sealed.</summary>
public sealed class RedisSignedRequestTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_request_replayed_to_another_silo_is_refused_and_the_secret_is_stored_sealed()
    {
        await redis.FlushAsync();
        await using var first = await SiloHarness.StartAsync(cfg => cfg["Parley:Redis:ConnectionString"] = redis.ConnectionString);
        await using var second = await SiloHarness.StartAsync(cfg => cfg["Parley:Redis:ConnectionString"] = redis.ConnectionString);
        var (userId, _) = await first.CreateUserAsync("signer");
        using var created = await first.CreateClient(first.AdminKey).PostAsync($"admin/users/{userId}/keys", Json("""{"require_signature":true}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = key.GetProperty("key").GetString()!;
        var signingSecret = key.GetProperty("signing_secret").GetString()!;
        var body = $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"once"}]}""";

        var request = RequestSigner.Signed(signingSecret, HttpMethod.Post, "/v1/chat/completions", body);
        var replay = await RequestSigner.CopyAsync(request);
        using (var answered = await first.CreateClient(secret).SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        using (var replayed = await second.CreateClient(secret).SendAsync(replay))
        {
            await AssertErrorAsync(replayed, HttpStatusCode.Unauthorized, "signature_replayed");
        }
        // The key works on the second silo when signed anew: it was refused for the nonce alone.
        using (var fresh = await second.CreateClient(secret).SendAsync(RequestSigner.Signed(signingSecret, HttpMethod.Post, "/v1/chat/completions", body)))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        var dump = await DumpAsync();
        Assert.DoesNotContain(signingSecret, dump);
        Assert.DoesNotContain(signingSecret["ss-parley-".Length..], dump);
        // The stored value is an AES-GCM envelope (format byte 0xC1), not the secret in another encoding.
        var sealedValue = Convert.FromBase64String(_signingValues.Single());
        Assert.Equal(0xC1, sealedValue[0]);
        Assert.DoesNotContain(signingSecret, System.Text.Encoding.Latin1.GetString(sealedValue));
    }

    private readonly List<string> _signingValues = [];

    private async Task<string> DumpAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = connection.GetDatabase();
        var server = connection.GetServers()[0];
        var text = new System.Text.StringBuilder();
        await foreach (var name in server.KeysAsync(pattern: "*"))
        {
            text.Append(name).Append('\n');
            if (await db.KeyTypeAsync(name) == RedisType.Hash)
            {
                foreach (var entry in await db.HashGetAllAsync(name))
                {
                    text.Append(entry.Name).Append('=').Append(entry.Value).Append('\n');
                    if (entry.Name == "signing")
                    {
                        _signingValues.Add(entry.Value!);
                    }
                }
            }
            else if (await db.KeyTypeAsync(name) == RedisType.String)
            {
                text.Append(await db.StringGetAsync(name)).Append('\n');
            }
        }
        return text.ToString();
    }
}
