using System.Diagnostics;
using System.IO.Hashing;
using Parley.GrainInterfaces.Conversations;
using Parley.Tokenizer.Chat;

namespace Parley.Bench.Conversations;

/// <summary>The grain calls of one chat turn, in the chat path's order: BuildPromptAsync with the turn's identity (as
/// silo/Chat sends it: idempotency key, hash of the new messages, request id, this silo), then AppendTurnAsync with the
/// user's message and the assistant's reply.</summary>
/// <param name="BuildAllocated">Bytes allocated (all threads) while BuildPromptAsync ran; likewise AppendAllocated.</param>
internal readonly record struct TurnTiming(long BuildTicks, long AppendTicks, long BuildAllocated, long AppendAllocated, PromptPlan Plan);

internal sealed class ChatTurns(BenchSilo silo)
{
    private static readonly ChatTokenCounter Counter = ChatTokenCounter.ForEncoding(BenchConversations.Encoding);

    public static int Tokens(GeneratedMessage message) => Counter.CountMessage(new ChatMessage(message.Role, message.Text));

    /// <summary>Creates an empty conversation owned by the benchmark's user.</summary>
    public async Task<IConversationGrain> CreateAsync(string id)
    {
        var grain = silo.Conversation(id);
        _ = await grain.CreateAsync(BenchConversations.UserId, new Dictionary<string, string>(), [], ConversationSettings.None)
            ?? throw new InvalidOperationException($"conversation {id} already exists");
        return grain;
    }

    /// <summary>One turn; throws unless the prompt is Ready and the turn is appended.</summary>
    public async Task<TurnTiming> RunAsync(IConversationGrain grain, GeneratedMessage user, GeneratedMessage assistant, int budget)
    {
        var newTokens = Tokens(user);
        var turn = new TurnIdentity("idem_" + Guid.NewGuid().ToString("N"), XxHash64.HashToUInt64(user.Record.Utf8Json.Span),
            "req_" + Guid.NewGuid().ToString("N"), silo.Address);

        var request = new PromptRequest(BenchConversations.Model, BenchConversations.Encoding, budget, newTokens, turn);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        var plan = await grain.BuildPromptAsync(BenchConversations.UserId, request);
        var build = Stopwatch.GetTimestamp() - start;
        var buildAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        if (plan.Status != PromptStatus.Ready)
        {
            throw new InvalidOperationException($"prompt {plan.Status}");
        }

        var completion = Tokens(assistant);
        var reply = new TurnReply("chatcmpl-" + Guid.NewGuid().ToString("N")[..24], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), BenchConversations.Model,
            "stop", null, System.Text.Encoding.UTF8.GetBytes(
                $$"""{"prompt_tokens":{{plan.PromptTokens}},"completion_tokens":{{completion}},"total_tokens":{{plan.PromptTokens + completion}}}"""));
        var conversationTurn = new ConversationTurn(turn, [user.Record], assistant.Record, reply);
        allocated = GC.GetTotalAllocatedBytes(precise: true);
        start = Stopwatch.GetTimestamp();
        var appended = await grain.AppendTurnAsync(BenchConversations.UserId, conversationTurn);
        var append = Stopwatch.GetTimestamp() - start;
        var appendAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        if (appended.Status != TurnAppendStatus.Appended)
        {
            throw new InvalidOperationException($"append {appended.Status}");
        }
        return new TurnTiming(build, append, buildAllocated, appendAllocated, plan);
    }
}
