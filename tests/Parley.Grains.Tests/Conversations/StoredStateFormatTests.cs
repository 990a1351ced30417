using System.Text.Json;
using Parley.GrainInterfaces.Conversations;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Tests.Infrastructure;
using Parley.Testing;
using StackExchange.Redis;
using static Parley.Grains.Tests.Conversations.ConversationTestKit;

namespace Parley.Grains.Tests.Conversations;

/// <summary>Grain state as Orleans' Redis storage writes it: plain snake_case JSON under the grain's own hash tag, with no
/// type names, so renaming or moving a state class never orphans what is stored.</summary>
public sealed class StoredStateFormatTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_conversation_and_a_user_are_stored_as_plain_json_without_type_names()
    {
        await using var cluster = await GrainCluster.StartAsync(redis: redis);
        var conversation = cluster.Grains.GetGrain<IConversationGrain>("conv_format");
        Assert.NotNull(await conversation.CreateAsync(User, new Dictionary<string, string> { ["topic"] = "demo" }, [],
            new ConversationSettings(Model: "m", SystemPrompt: "Be brief.", MaxContextTokens: 500)));
        await cluster.Grains.GetGrain<IUserGrain>("user_format").SetUserLimitsAsync(new QuotaLimits(RequestsPerMinute: 60));

        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = multiplexer.GetDatabase();
        var conversationJson = (string)(await db.HashGetAsync($"{{{cluster.KeyPrefix}:conversation/conv_format}}:state", "data"))!;
        var userJson = (string)(await db.HashGetAsync($"{{{cluster.KeyPrefix}:user/user_format}}:state", "data"))!;

        using var stored = JsonDocument.Parse(conversationJson);
        Assert.Equal(User, stored.RootElement.GetProperty("owner_user_id").GetString());
        Assert.Equal("Be brief.", stored.RootElement.GetProperty("system_prompt").GetString());
        Assert.Equal(500, stored.RootElement.GetProperty("max_context_tokens").GetInt32());
        Assert.Equal("demo", stored.RootElement.GetProperty("metadata").GetProperty("topic").GetString());
        Assert.Equal(60, JsonDocument.Parse(userJson).RootElement.GetProperty("user").GetProperty("requests_per_minute").GetInt32());
        foreach (var json in new[] { conversationJson, userJson })
        {
            Assert.DoesNotContain("$type", json, StringComparison.Ordinal);
            Assert.DoesNotContain("Parley.", json, StringComparison.Ordinal);
        }
    }
}
