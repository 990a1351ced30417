using System.Diagnostics;
using Microsoft.Extensions.Options;
using Parley.Grains.Conversations;
using Parley.Runtime.Storage;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Bench.Conversations;

internal sealed record StateSerializationResult(int Turns, int Bytes, double SerializeMs, double DeserializeMs);

/// <summary>
/// Prices the whole-state write behind every AppendTurnAsync: each write serialises the entire conversation (and a
/// refresh after another silo wrote deserialises it). Rebuilds the state the growth run ends with (same seed, so the
/// same text) and times the runtime's own <see cref="GrainStateSerializer"/> on it.
/// </summary>
internal static class StateSerializationProbe
{
    private const int Rounds = 15;

    public static StateSerializationResult Measure(int seed, int turns)
    {
        var generator = new TurnGenerator(seed);
        var counter = ChatTokenCounter.ForEncoding(TiktokenEncoding.O200kBaseName);
        var state = new ConversationState { OwnerUserId = PromptBuildBenchmark.UserId, LastEncoding = TiktokenEncoding.O200kBaseName };
        for (var t = 0; t < turns; t++)
        {
            foreach (var message in new[] { generator.User(), generator.Assistant() })
            {
                state.Items.Add(new StoredConversationItem
                {
                    Id = "msg_" + Guid.NewGuid().ToString("N"),
                    Role = message.Role,
                    Message = message.Record.Utf8Json,
                    Seq = ++state.LastSeq,
                    Tokens = new TokenCounts { O200k = counter.CountMessage(new ChatMessage(message.Role, message.Text)) },
                });
            }
        }

        var options = new GrainStateJsonOptions();
        options.Resolvers.Add(ConversationStateJsonContext.Default);
        var serializer = new GrainStateSerializer(Options.Create(options));
        var bytes = serializer.Serialize(state);
        _ = serializer.Deserialize<ConversationState>(bytes);

        var serialize = new long[Rounds];
        var deserialize = new long[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            var start = Stopwatch.GetTimestamp();
            bytes = serializer.Serialize(state);
            serialize[i] = Stopwatch.GetTimestamp() - start;
            start = Stopwatch.GetTimestamp();
            _ = serializer.Deserialize<ConversationState>(bytes);
            deserialize[i] = Stopwatch.GetTimestamp() - start;
        }
        return new StateSerializationResult(turns, bytes.Length, Percentiles.Of(serialize).P50 / 1000, Percentiles.Of(deserialize).P50 / 1000);
    }
}
