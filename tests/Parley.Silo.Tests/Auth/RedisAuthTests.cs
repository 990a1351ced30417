using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Parley.Silo.Auth;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using StackExchange.Redis;
using Xunit;

namespace Parley.Silo.Tests.Auth;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCaptureCollection
{
    /// <summary>Tests that capture the process's standard output run alone.</summary>
    public const string Name = "console capture";
}

/// <summary>Authentication on a Redis-backed cluster: what is stored, and the one-time bootstrap across silos.</summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed partial class RedisAuthTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Key_secrets_are_stored_only_as_hashes()
    {
        await redis.FlushAsync();
        await using var silo = await SiloHarness.StartAsync(cfg => cfg["Parley:Redis:ConnectionString"] = redis.ConnectionString);
        var (_, first) = await silo.CreateUserAsync("alice");
        var (_, second) = await silo.CreateUserAsync("bob");
        using (var works = await silo.CreateClient(first).GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        }

        var dump = await DumpRedisAsync();

        foreach (var secret in new[] { first, second, silo.AdminKey })
        {
            Assert.DoesNotContain(secret, dump);
            Assert.DoesNotContain(secret[ApiKeySecrets.Prefix.Length..], dump);
        }
        // The store that was scanned is the one holding the keys: their hashes are there.
        Assert.Contains(ApiKeySecrets.Hash(first).ToHex(), dump);
        Assert.Contains(ApiKeySecrets.Hash(second).ToHex(), dump);
    }

    [Fact]
    public async Task Silos_starting_together_on_one_Redis_bootstrap_and_print_once()
    {
        await redis.FlushAsync();
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(TextWriter.Synchronized(output));
        SiloHarness[] silos;
        try
        {
            silos = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => SiloHarness.StartAsync(cfg =>
            {
                cfg["Parley:Redis:ConnectionString"] = redis.ConnectionString;
                cfg["Parley:Auth:AdminKey"] = "";
            })));
        }
        finally
        {
            Console.SetOut(original);
        }
        try
        {
            var text = output.ToString();
            Assert.Single(BannerRegex().Matches(text));
            var adminKey = AdminKeyRegex().Match(text).Groups[1].Value;
            var userKey = UserKeyRegex().Match(text).Groups[1].Value;
            Assert.StartsWith(ApiKeySecrets.Prefix, adminKey);
            Assert.StartsWith(ApiKeySecrets.Prefix, userKey);

            foreach (var silo in silos)
            {
                var users = await AdminApiTests.GetJsonAsync(silo.CreateClient(adminKey), "admin/users");
                Assert.Equal("default", Assert.Single(users.GetProperty("data").EnumerateArray()).GetProperty("name").GetString());
                using var chat = await silo.CreateClient(userKey).GetAsync("v1/models");
                Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            }
            Assert.DoesNotContain(adminKey, await DumpRedisAsync());
            Assert.DoesNotContain(userKey, await DumpRedisAsync());
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    /// <summary>Every key name and every value in the server, as one string.</summary>
    private async Task<string> DumpRedisAsync()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var db = connection.GetDatabase();
        var dump = new StringBuilder();
        foreach (var key in connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "*"))
        {
            dump.Append(key).Append('\n');
            switch (await db.KeyTypeAsync(key))
            {
                case RedisType.String:
                    dump.Append(await db.StringGetAsync(key)).Append('\n');
                    break;
                case RedisType.Hash:
                    foreach (var entry in await db.HashGetAllAsync(key))
                    {
                        dump.Append(entry.Name).Append('=').Append(entry.Value).Append('\n');
                    }
                    break;
                case RedisType.SortedSet:
                    foreach (var entry in await db.SortedSetRangeByRankAsync(key))
                    {
                        dump.Append(entry).Append('\n');
                    }
                    break;
                case RedisType.Set:
                    foreach (var entry in await db.SetMembersAsync(key))
                    {
                        dump.Append(entry).Append('\n');
                    }
                    break;
                case RedisType.List:
                    foreach (var entry in await db.ListRangeAsync(key))
                    {
                        dump.Append(entry).Append('\n');
                    }
                    break;
            }
        }
        Assert.True(dump.Length > 0, "Redis is empty: the silo did not use it.");
        return dump.ToString();
    }

    [GeneratedRegex("First start: these credentials are shown ONCE")]
    private static partial Regex BannerRegex();

    [GeneratedRegex(@" Admin key:\s+(\S+)")]
    private static partial Regex AdminKeyRegex();

    [GeneratedRegex(@" User 'default' key:\s+(\S+)")]
    private static partial Regex UserKeyRegex();
}
