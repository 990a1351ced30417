using Parley.GrainInterfaces.Conversations;
using Parley.Tokenizer;

namespace Parley.Bench.Conversations;

/// <param name="ActivationBytes">Heap freed by deactivating the <paramref name="Conversations"/> activations (their
/// cached state, token counts, message records and the runtime's per-activation bookkeeping).</param>
/// <param name="StoredBytes">Heap still held once they are deactivated: the in-memory storage's serialised copy and
/// the in-memory activity index entry.</param>
internal sealed record IdleMemoryResult(int Conversations, int Turns, double JsonBytesPerTurn, long ActivationBytes, long StoredBytes,
    int ActivationsWhileIdle, int ActivationsAfterStop, int SummariesRequested)
{
    public double ActivationBytesPerConversation => (double)ActivationBytes / Conversations;

    public double StoredBytesPerConversation => (double)StoredBytes / Conversations;
}

/// <summary>
/// Heap cost of idle activated conversations: K conversations of T turns are created and used once (a prompt build,
/// so token counts and message records are cached as after a chat turn), then the heap is measured settled; stopping
/// the host deactivates them all while the container keeps the in-memory storage alive, and the heap is measured again.
/// </summary>
/// <remarks>Each conversation is created with all its turns in one CreateAsync call (the same stored items as
/// AppendTurnAsync makes, message JSON plus content parts) rather than T appends: every append writes the whole state,
/// so T appends per conversation would take minutes without changing what an idle activation holds.</remarks>
internal static class IdleMemoryBenchmark
{
    private const int BaseSeed = 7_000_000;
    private static readonly TimeSpan DeactivationWait = TimeSpan.FromSeconds(10);

    public static async Task<IdleMemoryResult> RunAsync(int conversations, int turns)
    {
        await using var host = await ConversationHost.StartAsync();
        var generator = new TurnGenerator(BaseSeed + turns);

        // One conversation through every code path first (JIT, lazy singletons, first dictionary buckets), then deleted
        // (which deactivates it and removes its stored copy) so neither figure counts it.
        var warmup = host.Conversation("conv_idle_warmup");
        await CreateAndUseAsync(warmup, generator, turns);
        if (!await warmup.DeleteAsync(PromptBuildBenchmark.UserId))
        {
            throw new InvalidOperationException("the warm-up conversation could not be deleted");
        }
        await WaitForActivationsAsync(host, 0);

        var baseline = SettledHeapBytes();
        long jsonBytes = 0;
        for (var i = 0; i < conversations; i++)
        {
            jsonBytes += await CreateAndUseAsync(host.Conversation($"conv_idle_{i:D5}"), generator, turns);
        }
        var activated = SettledHeapBytes();
        var whileIdle = host.Statistics.ActivationCount;

        await host.StopAsync();
        var stored = SettledHeapBytes();
        var afterStop = host.Statistics.ActivationCount;
        GC.KeepAlive(host);

        return new IdleMemoryResult(conversations, turns, (double)jsonBytes / ((long)conversations * turns), activated - stored, stored - baseline,
            whileIdle, afterStop, host.Summarizer.Calls);
    }

    /// <summary>Creates a conversation of <paramref name="turns"/> user/assistant turns and builds one prompt over it;
    /// returns the UTF-8 size of its messages' JSON.</summary>
    private static async Task<long> CreateAndUseAsync(IConversationGrain grain, TurnGenerator generator, int turns)
    {
        var items = new List<NewConversationItem>(2 * turns);
        long jsonBytes = 0;
        for (var t = 0; t < turns; t++)
        {
            foreach (var message in new[] { generator.User(), generator.Assistant() })
            {
                var part = message.Role == "user" ? ConversationContentPart.InputText : ConversationContentPart.OutputText;
                items.Add(new NewConversationItem(message.Role, [new ConversationContentPart(part, message.Text)]));
                jsonBytes += message.Record.Utf8Json.Length;
            }
        }
        _ = await grain.CreateAsync(PromptBuildBenchmark.UserId, new Dictionary<string, string>(), items, ConversationSettings.None)
            ?? throw new InvalidOperationException("conversation id already used");
        var plan = await grain.BuildPromptAsync(PromptBuildBenchmark.UserId,
            new PromptRequest(PromptBuildBenchmark.Model, TiktokenEncoding.O200kBaseName, PromptBuildBenchmark.AllTurnsBudget, 50));
        if (plan.Status != PromptStatus.Ready || plan.Messages.Count != 2 * turns)
        {
            throw new InvalidOperationException($"prompt {plan.Status} with {plan.Messages.Count} messages, expected {2 * turns}");
        }
        return jsonBytes;
    }

    private static async Task WaitForActivationsAsync(ConversationHost host, int count)
    {
        var deadline = DateTime.UtcNow + DeactivationWait;
        while (host.Statistics.ActivationCount != count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{host.Statistics.ActivationCount} activations left, expected {count}");
            }
            await Task.Delay(10);
        }
    }

    /// <summary>Live heap after full, compacting, blocking collections (three, with finalizers run in between, so
    /// objects freed by finalizers are gone too).</summary>
    private static long SettledHeapBytes()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
