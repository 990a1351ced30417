using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Grains.Tests.Conversations;

/// <summary>Turns and prompts as the chat path makes them, for grain tests.</summary>
internal static class ConversationTestKit
{
    public const string User = "user_1";

    public static ChatMessageRecord Message(string role, string text)
        => new(role, $$"""{"role":"{{role}}","content":{{JsonSerializer.Serialize(text, TestJson.Default.String)}}}""");

    /// <summary>A turn: one user message (label + "?") and the reply (label + "!"), under <paramref name="key"/>.</summary>
    public static ConversationTurn Turn(string label, string? key = null, SiloAddress? holder = null)
        => new(new TurnIdentity(key ?? "key-" + label, (ulong)label.GetHashCode(StringComparison.Ordinal), "req-" + label, holder),
            [Message("user", label + "?")], Message("assistant", label + "!"), new TurnReply("chatcmpl-" + label, 1, "m", "stop", null, null));

    public static PromptRequest Prompt(TurnIdentity? turn = null, int budget = 1_000_000) => new("model", "o200k_base", budget, 0, turn);

    public static Task<ConversationInfo?> CreateAsync(IConversationGrain grain)
        => grain.CreateAsync(User, new Dictionary<string, string>(), [], ConversationSettings.None);

    /// <summary>The stored messages a prompt would carry (with a budget that fits them all), as text; null if not found.</summary>
    public static async Task<List<string>?> ContextAsync(IConversationGrain grain)
    {
        var plan = await grain.BuildPromptAsync(User, Prompt());
        return plan.Status == PromptStatus.Ready ? [.. plan.Messages.Select(Text)] : null;
    }

    public static string Text(ChatMessageRecord message) => JsonDocument.Parse(message.Json).RootElement.GetProperty("content").GetString()!;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TestJson : System.Text.Json.Serialization.JsonSerializerContext;
