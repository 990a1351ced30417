using System.Globalization;
using Parley.Bench.Quotas;

namespace Parley.Bench.Conversations;

/// <summary>Everything measured on one transcript store.</summary>
internal sealed record StoreRun(string Store, GrowthResult AllTurns, GrowthResult Window, GrowthResult Down, IReadOnlyList<BuildResult> Builds,
    IReadOnlyList<BodyWriteResult> Writes, IReadOnlyList<ActivationResult> Activations);

/// <summary>
/// The conversation grain on real Orleans (a silo in this process, composed as Parley's silo composes it) against a real
/// redis-server, and the in-memory store beside it. The goals: a turn costs O(turn) (append latency and bytes
/// Redis receives per turn, young and at 1,000 turns); an activation reads only the working context (a fresh
/// activation's first prompt under 5 ms p99); idle activations are small (heap per idle conversation next to Orleans' own
/// per-activation cost, and the next turn's round trips); and the prompt-build and body-write timings of an activated
/// long conversation.
/// </summary>
/// <remarks>Two long conversations per store. "all turns" is grown at a 1,000,000-token budget: every turn fits every
/// prompt, nothing is dropped or summarised (its summariser count must stay 0), so its working context is the whole
/// transcript: the worst case for a turn and for an activation. "128k window" is grown at a 128k window (123,904
/// tokens): it crosses the high-water mark, and the stand-in summariser folds older turns into a rolling summary in
/// the background as the silo's would, so it ends in the steady state a long conversation lives in. "128k window,
/// summariser down" is grown the same way with a summariser that always fails: the drop-only fallback, whose oldest
/// turns are dropped from every prompt and never folded.</remarks>
internal static class ConversationBenchmark
{
    private const int Seed = 20_240_601;
    private const int WarmupTurns = 60;
    private static readonly TimeSpan SummarySettleTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(ConversationBenchmarkOptions options)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            errors.ForEach(Console.Error.WriteLine);
            return 1;
        }
        ConversationReport.PrintHeader(options);

        await using var redis = options.Stores.HasFlag(BenchStores.Redis) ? await BenchRedis.StartAsync() : null;
        // The heap figures first, in a process that has not yet held the megabyte-sized buffers of the long conversations'
        // reads (pools keep those, and let them go later, in the middle of another measurement).
        IdleMemoryResult? idle = null;
        if (redis is not null)
        {
            var timeout = TimeSpan.FromSeconds(options.IdleTimeoutSeconds);
            await using var silo = await BenchSilo.StartAsync(redis.ConnectionString, "bench-idle", timeout);
            Console.Error.WriteLine(Invariant($"[idle] {options.Conversations:N0} conversations of {options.IdleTurns} turns..."));
            idle = await IdleMemoryBenchmark.RunAsync(silo, options.Conversations, options.IdleTurns, timeout, options.NextTurns);
        }
        var runs = new List<StoreRun>();
        if (redis is not null)
        {
            runs.Add(await RunStoreAsync(options, redis.ConnectionString, "bench-long"));
        }
        if (options.Stores.HasFlag(BenchStores.Memory))
        {
            runs.Add(await RunStoreAsync(options, null, "bench-long"));
        }
        return ConversationReport.Print(options, runs, idle);
    }

    private static async Task<StoreRun> RunStoreAsync(ConversationBenchmarkOptions options, string? redis, string keyPrefix)
    {
        await using var silo = await BenchSilo.StartAsync(redis, keyPrefix);
        Console.Error.WriteLine($"[{silo.StoreName}] warm-up...");
        await WarmUpAsync(silo);

        Console.Error.WriteLine(Invariant($"[{silo.StoreName}] growing two conversations to {options.Turns:N0} turns..."));
        var allTurns = await GrowthBenchmark.RunAsync(silo, BenchConversations.Id("all", 0), BenchConversations.Id("young", 0), options.Turns,
            BenchConversations.AllTurnsBudget, Seed, expectAllMessages: true);
        var window = await GrowthBenchmark.RunAsync(silo, BenchConversations.Id("win", 0), null, options.Turns, BenchConversations.WindowBudget, Seed + 1,
            expectAllMessages: false);
        await WaitForSummariesAsync(silo, window.ConversationId);
        var down = await GrowthBenchmark.RunAsync(silo, BenchConversations.Id(StandInSummarizer.DownMarker, 0), null, options.Turns, BenchConversations.WindowBudget,
            Seed + 3, expectAllMessages: false);
        await WaitForSummariesAsync(silo, down.ConversationId);

        // The next turn's new message, as a client would send it.
        var next = new TurnGenerator(Seed + 2).User();
        var builds = new List<BuildResult>();
        var writes = new List<BodyWriteResult>();
        Console.Error.WriteLine($"[{silo.StoreName}] prompt builds...");
        foreach (var (label, growth) in new[] { ("all turns", allTurns), ("128k window", window), ("128k window, summariser down", down) })
        {
            var (build, write) = await PromptBuildBenchmark.RunAsync(silo, label, growth.ConversationId, growth.Budget, options.Iterations,
                options.WriteIterations, next);
            builds.Add(build);
            writes.Add(write);
        }
        Console.Error.WriteLine($"[{silo.StoreName}] fresh activations...");
        var activations = new List<ActivationResult>();
        foreach (var (label, growth) in new[] { ("all turns", allTurns), ("128k window", window), ("128k window, summariser down", down) })
        {
            activations.Add(await ActivationBenchmark.RunAsync(silo, label, growth.ConversationId, growth.Budget, options.Activations, next));
        }
        return new StoreRun(silo.StoreName, allTurns, window, down, builds, writes, activations);
    }

    /// <summary>Every path of a turn, an activation and a summary once (JIT, pools, scripts loaded into Redis), on
    /// conversations no figure counts.</summary>
    private static async Task WarmUpAsync(BenchSilo silo)
    {
        var chat = new ChatTurns(silo);
        var generator = new TurnGenerator(Seed - 1);
        foreach (var (id, budget) in new[] { (BenchConversations.Id("wua", 0), BenchConversations.AllTurnsBudget), (BenchConversations.Id("wuw", 0), 4_000) })
        {
            var grain = await chat.CreateAsync(id);
            for (var t = 0; t < WarmupTurns; t++)
            {
                await chat.RunAsync(grain, generator.User(), generator.Assistant(), budget);
            }
            await WaitForSummariesAsync(silo, id);
            await silo.Management.DeactivateGrain(grain.GetGrainId());
            await chat.RunAsync(grain, generator.User(), generator.Assistant(), budget);
            await WaitForSummariesAsync(silo, id);
        }
    }

    /// <summary>Waits until no summary is running for the conversation (a long backlog is folded in several rounds).</summary>
    private static async Task WaitForSummariesAsync(BenchSilo silo, string id)
    {
        var deadline = DateTime.UtcNow + SummarySettleTimeout;
        var settled = 0;
        while (settled < 3)
        {
            var context = await silo.Conversation(id).GetWorkingContextAsync() ?? throw new InvalidOperationException($"{id} is gone");
            settled = context.SummaryPending ? 0 : settled + 1;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{id}: summaries still running after {SummarySettleTimeout}");
            }
            await Task.Delay(50);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
