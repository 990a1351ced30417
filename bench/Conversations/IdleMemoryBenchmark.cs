using System.Diagnostics;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Bench.Conversations;

/// <param name="EmptyBytes">Heap per activation of <see cref="IEmptyProbeGrain"/>: Orleans' own per-activation cost.</param>
/// <param name="StatefulBytes">Heap per activation of <see cref="IStatefulProbeGrain"/>: Orleans' cost with one persistent state.</param>
/// <param name="ConversationBytes">Heap per idle conversation activation (working set released), all of it.</param>
/// <param name="Active">Activations of each kind when the heap was measured (Orleans' management grain).</param>
/// <param name="Freed">The cross-check: heap freed per activation when each kind is deactivated again (empty, stateful,
/// conversation), a measurement during which little else is allocated.</param>
internal sealed record IdleMemoryResult(int Conversations, int Turns, TimeSpan IdleTimeout, TimeSpan CreateElapsed, double JsonBytesPerTurn,
    double EmptyBytes, double StatefulBytes, double ConversationBytes, (int Empty, int Stateful, int Conversations) Active,
    (double Empty, double Stateful, double Conversation) Freed, NextTurnResult Next, int SummaryCalls)
{
    /// <summary>What Parley's grain adds to Orleans' own per-activation cost.</summary>
    public double ParleyBytes => ConversationBytes - EmptyBytes;
}

/// <summary>The next turn on idle conversations: the first BuildPromptAsync (which reads the working context back) and
/// the AppendTurnAsync, each run over all the sampled conversations in one Redis window.</summary>
internal sealed record NextTurnResult(int Turns, Percentiles Build, Percentiles Append, RedisDelta? BuildRedis, TranscriptCalls BuildCalls,
    RedisDelta? AppendRedis, TranscriptCalls AppendCalls);

/// <summary>Goal 3, idle activations are small: N conversations get their turns through the chat path, sit idle past
/// the working set's idle timeout, and the heap they hold is measured after full compacting collections, next to N
/// empty grains and N grains with one persistent state activated the same way (calls through the silo's grain factory).
/// Then the next turn on some of them shows what reading the working context back costs.</summary>
internal static class IdleMemoryBenchmark
{
    private const int WarmupCount = 64;
    private const int Concurrency = 32;
    private const int Seed = 7_000_000;

    public static async Task<IdleMemoryResult> RunAsync(BenchSilo silo, int conversations, int turns, TimeSpan idleTimeout, int nextTurns)
    {
        var summaries = silo.Summarizer.Calls;
        // Every path once (JIT, pools, Redis scripts loaded), then deactivated so that no figure counts the warm-up.
        var warmupIds = new List<GrainId>();
        for (var i = 0; i < WarmupCount; i++)
        {
            var empty = silo.Grains.GetGrain<IEmptyProbeGrain>(BenchConversations.Id("we", i));
            var stateful = silo.Grains.GetGrain<IStatefulProbeGrain>(BenchConversations.Id("ws", i));
            await empty.PingAsync();
            await stateful.PingAsync();
            warmupIds.AddRange([empty.GetGrainId(), stateful.GetGrainId()]);
        }
        await CreateConversationsAsync(silo, "wc", WarmupCount, turns, Seed - 1);
        warmupIds.AddRange(Enumerable.Range(0, WarmupCount).Select(i => silo.Conversation(BenchConversations.Id("wc", i)).GetGrainId()));
        foreach (var id in warmupIds)
        {
            await silo.Management.DeactivateGrain(id);
        }
        // A fresh activation's read of a working context (the next-turn path), then gone again.
        var reread = silo.Conversation(BenchConversations.Id("wc", 0));
        _ = await reread.BuildPromptAsync(BenchConversations.UserId,
            new PromptRequest(BenchConversations.Model, BenchConversations.Encoding, BenchConversations.WindowBudget, 20));
        await silo.Management.DeactivateGrain(reread.GetGrainId());

        var baseline = SettledHeapBytes();
        await ForEachAsync(conversations, i => silo.Grains.GetGrain<IEmptyProbeGrain>(BenchConversations.Id("ie", i)).PingAsync());
        var withEmpty = SettledHeapBytes();
        await ForEachAsync(conversations, i => silo.Grains.GetGrain<IStatefulProbeGrain>(BenchConversations.Id("is", i)).PingAsync());
        var withStateful = SettledHeapBytes();

        var created = Stopwatch.GetTimestamp();
        var jsonBytes = await CreateConversationsAsync(silo, "ic", conversations, turns, Seed);
        var createElapsed = Stopwatch.GetElapsedTime(created);
        // The idle timer runs every timeout; a working set is let go at the first tick a full timeout after its last use
        // (later on a loaded machine: measured until the heap stops falling).
        await Task.Delay(2 * idleTimeout + TimeSpan.FromSeconds(1));
        var withConversations = await SettledAfterIdleAsync(conversations);
        var active = (await CountAsync(silo, typeof(EmptyProbeGrain).FullName!), await CountAsync(silo, typeof(StatefulProbeGrain).FullName!),
            await CountAsync(silo, typeof(Parley.Grains.Conversations.ConversationGrain).FullName!));

        // The cross-check, kind by kind: what deactivating them frees. The first conversations stay for the next turns.
        var sampled = Math.Min(nextTurns, conversations - 1);
        var rest = conversations - sampled;
        await ForEachAsync(rest, i => silo.Management.DeactivateGrain(silo.Conversation(BenchConversations.Id("ic", sampled + i)).GetGrainId()));
        var withoutConversations = SettledHeapBytes();
        await ForEachAsync(conversations, i => silo.Management.DeactivateGrain(silo.Grains.GetGrain<IStatefulProbeGrain>(BenchConversations.Id("is", i)).GetGrainId()));
        var withoutStateful = SettledHeapBytes();
        await ForEachAsync(conversations, i => silo.Management.DeactivateGrain(silo.Grains.GetGrain<IEmptyProbeGrain>(BenchConversations.Id("ie", i)).GetGrainId()));
        var withoutEmpty = SettledHeapBytes();
        var freed = ((double)(withoutStateful - withoutEmpty) / conversations, (double)(withoutConversations - withoutStateful) / conversations,
            (double)(withConversations - withoutConversations) / rest);

        var next = await NextTurnsAsync(silo, sampled);
        return new IdleMemoryResult(conversations, turns, idleTimeout, createElapsed, (double)jsonBytes / ((long)conversations * turns),
            (double)(withEmpty - baseline) / conversations, (double)(withStateful - withEmpty) / conversations,
            (double)(withConversations - withStateful) / conversations, active, freed, next, silo.Summarizer.Calls - summaries);
    }

    /// <summary>The settled heap once idle working sets are let go: measured again every half second while it still falls
    /// by more than a few bytes per conversation (a grain timer can run late on a busy machine).</summary>
    private static async Task<long> SettledAfterIdleAsync(int conversations)
    {
        var heap = SettledHeapBytes();
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(500);
            var next = SettledHeapBytes();
            if (heap - next < 16L * conversations)
            {
                return Math.Min(heap, next);
            }
            heap = next;
        }
        return heap;
    }

    /// <summary>Creates conversations through the chat path (CreateAsync, then per turn BuildPromptAsync and
    /// AppendTurnAsync at the 128k window), <see cref="Concurrency"/> at a time; returns their message JSON bytes.</summary>
    private static async Task<long> CreateConversationsAsync(BenchSilo silo, string kind, int count, int turns, int seed)
    {
        var chat = new ChatTurns(silo);
        long jsonBytes = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Concurrency), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (worker, _) =>
        {
            // One generator per worker: each message arrives in bytes of its own, as it does over HTTP.
            var generator = new TurnGenerator(seed + worker);
            long bytes = 0;
            for (var i = worker; i < count; i += Concurrency)
            {
                var grain = await chat.CreateAsync(BenchConversations.Id(kind, i));
                for (var t = 0; t < turns; t++)
                {
                    var user = generator.User();
                    var assistant = generator.Assistant();
                    bytes += user.Record.Utf8Json.Length + assistant.Record.Utf8Json.Length;
                    await chat.RunAsync(grain, user, assistant, BenchConversations.WindowBudget);
                }
            }
            Interlocked.Add(ref jsonBytes, bytes);
        });
        return jsonBytes;
    }

    private static async Task<NextTurnResult> NextTurnsAsync(BenchSilo silo, int count)
    {
        var meter = silo.Meter;
        var generator = new TurnGenerator(Seed + 1_000);
        var messages = Enumerable.Range(0, count).Select(_ => (User: generator.User(), Assistant: generator.Assistant())).ToList();
        var grains = Enumerable.Range(0, count).Select(i => silo.Conversation(BenchConversations.Id("ic", i))).ToList();
        var turnIds = new TurnIdentity[count];
        var plans = new PromptPlan[count];
        var build = new long[count];
        var append = new long[count];

        var window = meter is null ? null : await meter.StartAsync();
        var calls = silo.Transcripts.Calls;
        for (var i = 0; i < count; i++)
        {
            turnIds[i] = new TurnIdentity("idem_" + Guid.NewGuid().ToString("N"), (ulong)i, "req_" + Guid.NewGuid().ToString("N"), silo.Address);
            var request = new PromptRequest(BenchConversations.Model, BenchConversations.Encoding, BenchConversations.WindowBudget,
                ChatTurns.Tokens(messages[i].User), turnIds[i]);
            var start = Stopwatch.GetTimestamp();
            plans[i] = await grains[i].BuildPromptAsync(BenchConversations.UserId, request);
            build[i] = Stopwatch.GetTimestamp() - start;
            if (plans[i].Status != PromptStatus.Ready)
            {
                throw new InvalidOperationException($"next turn {i}: prompt {plans[i].Status}");
            }
        }
        var buildRedis = window is null ? null : await window.StopAsync();
        var buildCalls = silo.Transcripts.Calls - calls;

        window = meter is null ? null : await meter.StartAsync();
        calls = silo.Transcripts.Calls;
        for (var i = 0; i < count; i++)
        {
            var reply = new TurnReply(null, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), BenchConversations.Model, "stop", null, null);
            var turn = new ConversationTurn(turnIds[i], [messages[i].User.Record], messages[i].Assistant.Record, reply);
            var start = Stopwatch.GetTimestamp();
            var appended = await grains[i].AppendTurnAsync(BenchConversations.UserId, turn);
            append[i] = Stopwatch.GetTimestamp() - start;
            if (appended.Status != TurnAppendStatus.Appended)
            {
                throw new InvalidOperationException($"next turn {i}: append {appended.Status}");
            }
        }
        var appendRedis = window is null ? null : await window.StopAsync();
        return new NextTurnResult(count, Percentiles.Of(build), Percentiles.Of(append), buildRedis, buildCalls, appendRedis, silo.Transcripts.Calls - calls);
    }

    /// <summary>Live activations of a grain class on the silo (Orleans' management grain).</summary>
    private static async Task<int> CountAsync(BenchSilo silo, string grainClass)
    {
        // GrainType reads "<full class name>,<assembly>".
        var stats = await silo.Management.GetSimpleGrainStatistics();
        return stats.Where(s => s.GrainType.StartsWith(grainClass + ",", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    private static Task ForEachAsync(int count, Func<int, Task> call)
        => Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) => await call(i));

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
