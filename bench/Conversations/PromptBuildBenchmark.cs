using System.Diagnostics;
using Parley.GrainInterfaces.Conversations;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Bench.Conversations;

internal sealed record GrowthRow(int FromTurn, int ToTurn, Percentiles Build, Percentiles Append);

internal sealed record BuildResult(string Label, int Budget, int Messages, int PromptTokens, int Dropped, Percentiles Latency, double BytesPerBuild,
    int Gen0, int Gen1, int Gen2);

internal sealed record PromptBenchmarkResult(
    IReadOnlyList<GrowthRow> Growth,
    TimeSpan GrowthElapsed,
    double JsonBytesPerTurn,
    IReadOnlyList<BuildResult> Builds,
    IReadOnlyList<BodyWriteResult> Writes,
    int SummariesRequested,
    StateSerializationResult StateSerialization,
    IReadOnlyList<string> Problems);

/// <summary>
/// Grows one conversation turn by turn the way the chat path does (BuildPromptAsync, then AppendTurnAsync), then times
/// BuildPromptAsync on the activated conversation for each budget, and separately the writing of the returned
/// messages into the upstream body.
/// </summary>
internal static class PromptBuildBenchmark
{
    public const string Model = "parley-sim";
    public const string UserId = "user_bench";

    /// <summary>Fits every turn of a 1,000-turn conversation: the worst case, all stored messages selected. Also the
    /// budget recorded while growing, so the context never crosses the summary high-water mark (80 % of it).</summary>
    public const int AllTurnsBudget = 1_000_000;

    /// <summary>A 128k-token window minus a 4,096-token reply reservation: older turns are dropped.</summary>
    public const int WindowBudget = 123_904;

    private const int GrowthBuckets = 5;
    private const int Seed = 20_240_601;

    public static async Task<PromptBenchmarkResult> RunAsync(ConversationBenchmarkOptions options)
    {
        var encoding = TiktokenEncoding.O200kBaseName;
        var counter = ChatTokenCounter.ForEncoding(encoding);
        var generator = new TurnGenerator(Seed);
        var problems = new List<string>();

        await using var host = await ConversationHost.StartAsync();
        var grain = host.Conversation("conv_bench_prompt");
        _ = await grain.CreateAsync(UserId, new Dictionary<string, string>(), [], ConversationSettings.None)
            ?? throw new InvalidOperationException("the benchmark conversation already exists");

        // Growth: the chat path's order for every turn. The tokenizer's rank table is loaded by the first count here,
        // before the first timed call.
        var buildTicks = new long[options.Turns];
        var appendTicks = new long[options.Turns];
        long jsonBytes = 0;
        var growthStart = Stopwatch.GetTimestamp();
        for (var turn = 0; turn < options.Turns; turn++)
        {
            var user = generator.User();
            var assistant = generator.Assistant();
            jsonBytes += user.Record.Utf8Json.Length + assistant.Record.Utf8Json.Length;
            var newTokens = counter.CountMessage(new ChatMessage(user.Role, user.Text));

            var start = Stopwatch.GetTimestamp();
            var plan = await grain.BuildPromptAsync(UserId, new PromptRequest(Model, encoding, AllTurnsBudget, newTokens));
            buildTicks[turn] = Stopwatch.GetTimestamp() - start;
            if (plan.Status != PromptStatus.Ready || plan.Messages.Count != 2 * turn)
            {
                problems.Add($"turn {turn + 1}: prompt {plan.Status} with {plan.Messages.Count} messages, expected Ready with {2 * turn}");
                break;
            }

            start = Stopwatch.GetTimestamp();
            var appended = await grain.AppendTurnAsync(UserId, [user.Record], assistant.Record);
            appendTicks[turn] = Stopwatch.GetTimestamp() - start;
            if (!appended)
            {
                problems.Add($"turn {turn + 1}: AppendTurnAsync returned false");
                break;
            }
        }
        var growthElapsed = Stopwatch.GetElapsedTime(growthStart);

        var growth = new List<GrowthRow>(GrowthBuckets);
        var bucket = Math.Max(1, (options.Turns + GrowthBuckets - 1) / GrowthBuckets);
        for (var from = 0; from < options.Turns; from += bucket)
        {
            var length = Math.Min(bucket, options.Turns - from);
            growth.Add(new GrowthRow(from + 1, from + length, Percentiles.Of(buildTicks.AsSpan(from, length)),
                Percentiles.Of(appendTicks.AsSpan(from, length))));
        }

        // The next turn's new message, as a client would send it: counted once, as the silo counts it per request.
        var next = generator.User();
        var nextTokens = counter.CountMessage(new ChatMessage(next.Role, next.Text));
        var nextJson = next.Record.Utf8Json;

        var builds = new List<BuildResult>();
        var writes = new List<BodyWriteResult>();
        foreach (var (label, budget) in new[] { ("all turns fit", AllTurnsBudget), ("128k window", WindowBudget) })
        {
            var (result, plan) = await MeasureBuildAsync(grain, label, budget, nextTokens, options);
            builds.Add(result);
            Check(problems, result, options.Turns);
            writes.Add(BodyWriteBenchmark.Measure(label, plan.Messages, nextJson, options.WriteIterations));
        }

        var serialization = StateSerializationProbe.Measure(Seed, options.Turns);
        return new PromptBenchmarkResult(growth, growthElapsed, (double)jsonBytes / options.Turns, builds, writes, host.Summarizer.Calls, serialization,
            problems);
    }

    private static async Task<(BuildResult Result, PromptPlan Plan)> MeasureBuildAsync(IConversationGrain grain, string label, int budget, int newTokens,
        ConversationBenchmarkOptions options)
    {
        var encoding = TiktokenEncoding.O200kBaseName;
        var warmup = Math.Max(100, options.Iterations / 10);
        PromptPlan plan = PromptPlan.NotFound;
        for (var i = 0; i < warmup; i++)
        {
            plan = await grain.BuildPromptAsync(UserId, new PromptRequest(Model, encoding, budget, newTokens));
        }

        var samples = new long[options.Iterations];
        // Start from an empty gen 0 so each budget sees the same collector state; the collections during the run stay
        // in the figures (they are part of what a caller waits for).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        // All threads: the grain's turn may run on another thread-pool thread than the caller's continuation.
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            plan = await grain.BuildPromptAsync(UserId, new PromptRequest(Model, encoding, budget, newTokens));
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var result = new BuildResult(label, budget, plan.Messages.Count, plan.PromptTokens, plan.DroppedMessages, Percentiles.Of(samples),
            (double)allocated / samples.Length, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
        return (result, plan);
    }

    private static void Check(List<string> problems, BuildResult result, int turns)
    {
        if (result.PromptTokens > result.Budget)
        {
            problems.Add($"{result.Label}: prompt of {result.PromptTokens} tokens exceeds the budget of {result.Budget}");
        }
        if (result.Budget == AllTurnsBudget && (result.Messages != 2 * turns || result.Dropped != 0))
        {
            problems.Add($"{result.Label}: {result.Messages} messages and {result.Dropped} dropped, expected all {2 * turns} and none");
        }
        if (result.Messages + result.Dropped != 2 * turns)
        {
            problems.Add($"{result.Label}: {result.Messages} sent + {result.Dropped} dropped != {2 * turns} stored");
        }
    }
}
