using System.Diagnostics;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Bench.Conversations;

internal sealed record BuildResult(string Label, int Budget, int Messages, int PromptTokens, int Dropped, bool SummaryUsed, Percentiles Latency,
    double BytesPerBuild, int Gen0, int Gen1, int Gen2, TranscriptCalls StoreCalls);

/// <summary>Goal 4: BuildPromptAsync on an activated long conversation (its working set in memory), many sequential
/// calls after a warm-up, with the bytes allocated per call; and writing the returned messages into the upstream body.</summary>
internal static class PromptBuildBenchmark
{
    public static async Task<(BuildResult Build, BodyWriteResult Write)> RunAsync(BenchSilo silo, string label, string id, int budget, int iterations,
        int writeIterations, GeneratedMessage next)
    {
        var grain = silo.Conversation(id);
        var newTokens = ChatTurns.Tokens(next);
        var request = new PromptRequest(BenchConversations.Model, BenchConversations.Encoding, budget, newTokens);
        var plan = PromptPlan.NotFound;
        for (var i = 0; i < Math.Max(100, iterations / 10); i++)
        {
            plan = await grain.BuildPromptAsync(BenchConversations.UserId, request);
        }

        var samples = new long[iterations];
        // The same collector state for every row; collections during the run stay in the figures (callers wait for them).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var calls = silo.Transcripts.Calls;
        // All threads: the grain's turn runs on a thread-pool thread of Orleans' scheduler, not the caller's.
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            plan = await grain.BuildPromptAsync(BenchConversations.UserId, request);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        if (plan.Status != PromptStatus.Ready)
        {
            throw new InvalidOperationException($"{label}: prompt {plan.Status}");
        }
        var build = new BuildResult(label, budget, plan.Messages.Count, plan.PromptTokens, plan.DroppedMessages, plan.SummaryUsed, Percentiles.Of(samples),
            (double)allocated / samples.Length, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
            silo.Transcripts.Calls - calls);
        var write = BodyWriteBenchmark.Measure(label, plan.Messages, next.Record.Utf8Json, writeIterations);
        return (build, write);
    }
}
