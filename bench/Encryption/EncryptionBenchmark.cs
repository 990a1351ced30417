using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Encryption;

namespace Parley.Bench.Encryption;

internal sealed record EncryptionBenchmarkOptions(int Iterations, int Rounds);

/// <summary>
/// What encryption at rest costs a conversation turn, in process on one thread: a turn appends two transcript entries
/// (the user's message and the answer), each encoded and sealed (AES-256-GCM, random nonce, the conversation as
/// associated data) on the way to Redis and opened and decoded when read back; the conversation's grain state (settings,
/// pinned system prompt, a rolling summary) is serialised and sealed whenever it changes. Each row is the codec alone
/// and the codec with the seal, so the difference is what encryption adds. Median of the rounds; µs and bytes
/// allocated per operation, and the stored size before and after.
/// </summary>
internal static class EncryptionBenchmark
{
    private const string Place = "transcript/conv_0123456789abcdef0123456789abcdef";

    public static int Run(EncryptionBenchmarkOptions options)
    {
        using var cipher = new ContentCipher(new ContentKeyRing(
            new Dictionary<string, byte[]> { ["k2026a"] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) }, "k2026a"));
        var user = Entry("user", Words(120));           // about 0.7 KB of JSON: a typical question
        var answer = Entry("assistant", Words(400));    // about 2.4 KB: a typical answer
        var state = State(Words(700));                  // a ~1,000-token rolling summary and a pinned system prompt

        Console.WriteLine($"encryption: AES-256-GCM (System.Security.Cryptography.AesGcm, {(AesGcmSupport() ? "hardware AES" : "software")}), "
            + $"{options.Iterations:N0} operations per round, {options.Rounds} rounds, one thread (median round); {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"operation",-44} {"µs/op",8} {"bytes alloc/op",15} {"stored bytes",14}");

        var nonce = new byte[ContentCipher.NonceBytes];
        Row("12 random bytes (RandomNumberGenerator.Fill)", options, () => System.Security.Cryptography.RandomNumberGenerator.Fill(nonce), 0);
        foreach (var (name, entry) in new[] { ("user entry", user), ("assistant entry", answer) })
        {
            var plain = TranscriptEntryCodec.Encode(entry);
            var sealedEntry = cipher.Protect(plain, Place);
            Row($"{name}: encode", options, () => TranscriptEntryCodec.Encode(entry), plain.Length);
            Row($"{name}: encode + seal", options, () => cipher.Protect(TranscriptEntryCodec.Encode(entry), Place), sealedEntry.Length);
            Row($"{name}: decode", options, () => TranscriptEntryCodec.Decode(plain, 1), plain.Length);
            Row($"{name}: open + decode", options, () => TranscriptEntryCodec.Decode(cipher.Unprotect(sealedEntry, Place), 1), sealedEntry.Length);
        }

        var statePlace = "state/conversation/conv_0123456789abcdef0123456789abcdef";
        var json = JsonSerializer.SerializeToUtf8Bytes(state, ConversationStateJsonContext.Default.ConversationState);
        var sealedState = cipher.Protect(json, statePlace);
        Row("grain state: serialise", options, () => JsonSerializer.SerializeToUtf8Bytes(state, ConversationStateJsonContext.Default.ConversationState), json.Length);
        Row("grain state: serialise + seal", options, () => cipher.Protect(JsonSerializer.SerializeToUtf8Bytes(state, ConversationStateJsonContext.Default.ConversationState), statePlace), sealedState.Length);
        Row("grain state: deserialise", options, () => JsonSerializer.Deserialize(json, ConversationStateJsonContext.Default.ConversationState), json.Length);
        Row("grain state: open + deserialise", options, () => JsonSerializer.Deserialize(cipher.Unprotect(sealedState, statePlace), ConversationStateJsonContext.Default.ConversationState), sealedState.Length);

        // A turn: both entries sealed on append, and opened again when the working context is next read.
        var (sealOnly, _) = Measure(options, () => { cipher.Protect(TranscriptEntryCodec.Encode(user), Place); cipher.Protect(TranscriptEntryCodec.Encode(answer), Place); });
        var (codecOnly, _) = Measure(options, () => { TranscriptEntryCodec.Encode(user); TranscriptEntryCodec.Encode(answer); });
        var userSealed = cipher.Protect(TranscriptEntryCodec.Encode(user), Place);
        var answerSealed = cipher.Protect(TranscriptEntryCodec.Encode(answer), Place);
        var (openBoth, _) = Measure(options, () => { cipher.Unprotect(userSealed, Place); cipher.Unprotect(answerSealed, Place); });
        Console.WriteLine();
        Console.WriteLine(Invariant($"per turn (2 entries, {TranscriptEntryCodec.Encode(user).Length + TranscriptEntryCodec.Encode(answer).Length:N0} bytes): sealing adds {sealOnly - codecOnly:F2} µs on append, opening {openBoth:F2} µs on read; {userSealed.Length + answerSealed.Length - TranscriptEntryCodec.Encode(user).Length - TranscriptEntryCodec.Encode(answer).Length} bytes more in Redis ({cipher.ProtectedSize(0)} per value)"));
        return 0;
    }

    private static bool AesGcmSupport() => System.Security.Cryptography.AesGcm.IsSupported && System.Runtime.Intrinsics.X86.Aes.IsSupported;

    private static void Row(string name, EncryptionBenchmarkOptions options, Action action, int storedBytes)
    {
        var (micros, bytes) = Measure(options, action);
        Console.WriteLine($"{name,-44} {micros.ToString("F2", CultureInfo.InvariantCulture),8} {bytes.ToString("F0", CultureInfo.InvariantCulture),15} {storedBytes,14:N0}");
    }

    private static (double Micros, double Bytes) Measure(EncryptionBenchmarkOptions options, Action action)
    {
        for (var i = 0; i < Math.Min(options.Iterations, 5_000); i++)
        {
            action();
        }
        var rounds = new List<(double, double)>();
        for (var round = 0; round < options.Rounds; round++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < options.Iterations; i++)
            {
                action();
            }
            watch.Stop();
            rounds.Add((watch.Elapsed.TotalMicroseconds / options.Iterations, (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)options.Iterations));
        }
        rounds.Sort();
        return rounds[rounds.Count / 2];
    }

    private static string Words(int count)
    {
        var vocabulary = new[] { "the", "gateway", "keeps", "each", "conversation", "on", "server", "and", "compresses", "its", "context", "会话", "上下文", "摘要", "quota", "tokens" };
        var random = new Random(42);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
    }

    private static TranscriptEntry Entry(string role, string text) => new()
    {
        Id = "msg_" + Guid.NewGuid().ToString("N"),
        Role = role,
        Message = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["role"] = role, ["content"] = text }),
        Tokens = new TokenCounts { O200k = text.Length / 4, Cl100k = text.Length / 4 },
    };

    private static ConversationState State(string summary)
    {
        var state = new ConversationState
        {
            OwnerUserId = "usr_0123456789abcdef",
            CreatedAt = 1_765_000_000,
            Model = "gpt-4o",
            SystemPrompt = "You are a careful assistant for a bank's support desk. Answer briefly and never reveal account data.",
            MaxContextTokens = 128_000,
            LastEncoding = "o200k_base",
            LastBudget = 120_000,
            Summary = new StoredSummary
            {
                Text = summary,
                Message = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["role"] = "system", ["content"] = summary })),
                CoversThroughSeq = 40,
                SummarizedMessages = 40,
                CreatedAt = 1_765_000_100,
            },
        };
        state.Metadata["topic"] = "support";
        return state;
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
