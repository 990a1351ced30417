using System.Text.Json;
using Parley.GrainInterfaces.Conversations;
using Parley.Runtime;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Conversations;

/// <summary>Two silos (two grain runtimes) serving the same conversation over one Redis: no message is ever lost.</summary>
public sealed class ConversationGrainConcurrencyTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string User = "user_1";
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N");

    private static ChatMessageRecord Message(string role, string text) => new(role, JsonSerializer.Serialize(new Dictionary<string, string> { ["role"] = role, ["content"] = text }, MessageJson.Default.DictionaryStringString));

    private static ChatMessageRecord[] Turn(string label) => [Message("user", label + "?"), Message("assistant", label + "!")];

    [Fact]
    public async Task A_write_that_loses_the_race_is_reapplied_on_top_of_the_winner()
    {
        GrainSilo? siloB = null;
        var interfered = 0;
        // Silo A's first write of the turn is held back until silo B has appended its own turn: A's ETag is then stale.
        await using var siloA = await GrainSilo.StartAsync(redis.ConnectionString, _prefix, inner => new BeforeFirstWrite(inner, async () =>
        {
            if (Interlocked.Exchange(ref interfered, 1) == 0)
            {
                Assert.True(await siloB!.Conversation(Id).AppendTurnAsync(User, [Turn("b")[0]], Turn("b")[1]));
            }
        }));
        siloB = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        await using (siloB)
        {
            Assert.NotNull(await siloB.Conversation(Id).CreateAsync(User, new Dictionary<string, string>(), [], ConversationSettings.None));

            Assert.True(await siloA.Conversation(Id).AppendTurnAsync(User, [Turn("a")[0]], Turn("a")[1]));

            Assert.Equal(1, interfered);
            foreach (var silo in new[] { siloA, siloB })
            {
                var context = await ContextAsync(silo);
                Assert.Equal(new[] { "b?", "b!", "a?", "a!" }, context!.Select(Text));
            }
        }
    }

    [Fact]
    public async Task Concurrent_turns_through_two_silos_all_survive_each_turn_contiguous()
    {
        const int turnsPerSilo = 20;
        await using var siloA = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        await using var siloB = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        Assert.NotNull(await siloA.Conversation(Id).CreateAsync(User, new Dictionary<string, string>(), [new NewConversationItem("system", [new ConversationContentPart("input_text", "sys")])], ConversationSettings.None));

        var calls = Enumerable.Range(0, turnsPerSilo).SelectMany(i => new[]
        {
            siloA.Conversation(Id).AppendTurnAsync(User, [Turn($"a{i}")[0]], Turn($"a{i}")[1]),
            siloB.Conversation(Id).AppendTurnAsync(User, [Turn($"b{i}")[0]], Turn($"b{i}")[1]),
        }).ToList();
        Assert.All(await Task.WhenAll(calls), Assert.True);

        await using var reader = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        var texts = (await ContextAsync(reader))!.Select(Text).ToList();
        Assert.Equal(1 + 4 * turnsPerSilo, texts.Count);
        Assert.Equal("sys", texts[0]);
        for (var i = 1; i < texts.Count; i += 2)
        {
            Assert.EndsWith("?", texts[i]);
            Assert.Equal(texts[i][..^1] + "!", texts[i + 1]);
        }
        var expected = Enumerable.Range(0, turnsPerSilo).SelectMany(i => new[] { $"a{i}?", $"b{i}?" }).Order();
        Assert.Equal(expected, texts.Where(t => t.EndsWith('?')).Order());
        // Each silo's own turns keep the order they were sent in (one activation runs one call at a time).
        Assert.Equal(Enumerable.Range(0, turnsPerSilo).Select(i => $"a{i}?"), texts.Where(t => t.StartsWith('a') && t.EndsWith('?')));
    }

    [Fact]
    public async Task A_conversation_deleted_on_one_silo_takes_no_more_turns_on_another()
    {
        await using var siloA = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        await using var siloB = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        await siloA.Conversation(Id).CreateAsync(User, new Dictionary<string, string>(), [], ConversationSettings.None);
        Assert.NotNull(await ContextAsync(siloB));

        Assert.True(await siloA.Conversation(Id).DeleteAsync(User));

        Assert.False(await siloB.Conversation(Id).AppendTurnAsync(User, [Turn("x")[0]], Turn("x")[1]));
        Assert.Null(await ContextAsync(siloB));
        Assert.Null(await siloA.Conversation(Id).GetAsync(User));
    }

    [Fact]
    public async Task A_summary_that_extends_a_replaced_summary_is_dropped_on_any_silo()
    {
        await using var siloA = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        await using var siloB = await GrainSilo.StartAsync(redis.ConnectionString, _prefix);
        Assert.NotNull(await siloA.Conversation(Id).CreateAsync(User, new Dictionary<string, string>(), [], ConversationSettings.None));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await siloA.Conversation(Id).AppendTurnAsync(User, [Turn($"t{i}")[0]], Turn($"t{i}")[1]));
        }

        Assert.True(await siloA.Conversation(Id).ApplySummaryAsync(new ConversationSummaryUpdate("first", 0, 2, 2)));
        // Made from the state before "first" existed: it would fold items twice or lose "first".
        Assert.False(await siloB.Conversation(Id).ApplySummaryAsync(new ConversationSummaryUpdate("stale", 0, 4, 4)));
        Assert.True(await siloB.Conversation(Id).ApplySummaryAsync(new ConversationSummaryUpdate("second", 2, 4, 4)));

        var context = await siloA.Conversation(Id).GetWorkingContextAsync();
        Assert.Equal("second", context!.Summary!.Text);
        Assert.Equal(4, context.Summary.CoversThroughSeq);
        Assert.Equal([5L, 6L], context.Items.Select(i => i.Seq));
        Assert.Equal(6, context.TranscriptItems);
        var prompt = await ContextAsync(siloA);
        Assert.Equal(["t2?", "t2!"], prompt!.Skip(1).Select(Text));
        Assert.StartsWith("Summary of the earlier part of this conversation", Text(prompt![0]));
    }

    private static readonly string Id = "conv_" + new string('c', 32);

    /// <summary>The stored messages a prompt would carry (with a budget that fits them all); null if not found.</summary>
    private static async Task<IReadOnlyList<ChatMessageRecord>?> ContextAsync(GrainSilo silo)
    {
        var plan = await silo.Conversation(Id).BuildPromptAsync(User, new PromptRequest("model", "o200k_base", 1_000_000, 0));
        return plan.Status == PromptStatus.Ready ? plan.Messages : null;
    }

    private static string Text(ChatMessageRecord message) => JsonDocument.Parse(message.Json).RootElement.GetProperty("content").GetString()!;

    /// <summary>Runs <paramref name="before"/> ahead of every write, then writes.</summary>
    private sealed class BeforeFirstWrite(IGrainStorage inner, Func<Task> before) : IGrainStorage
    {
        public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
            => inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);

        public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
        {
            await before();
            await inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken);
        }

        public Task<bool> ReadStateIfChangedAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
            => inner.ReadStateIfChangedAsync(stateName, grainId, grainState, cancellationToken);

        public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
            => inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class MessageJson : System.Text.Json.Serialization.JsonSerializerContext;
