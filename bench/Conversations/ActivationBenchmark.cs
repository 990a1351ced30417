using System.Diagnostics;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Bench.Conversations;

internal sealed record ActivationResult(string Label, int Budget, int Iterations, Percentiles Latency, int Messages, bool SummaryUsed,
    RedisDelta? Redis, TranscriptCalls Calls, int SummaryCalls, long? StateBytes, double CpuMicroseconds, double AllocatedBytes, int Gen0, int Gen1, int Gen2);

/// <summary>Goal 2, an activation reads only the working context: the grain is deactivated (Orleans'
/// <see cref="IManagementGrain.DeactivateGrain"/>, which returns once the activation is gone), then the first
/// BuildPromptAsync of the fresh activation is timed: activating, reading the grain state, reading the working context,
/// building. Redis' bytes sent and commands over all iterations, divided by them, say what one activation read.</summary>
internal static class ActivationBenchmark
{
    private const int Warmup = 20;

    public static async Task<ActivationResult> RunAsync(BenchSilo silo, string label, string id, int budget, int iterations, GeneratedMessage next)
    {
        var grain = silo.Conversation(id);
        var grainId = grain.GetGrainId();
        var request = new PromptRequest(BenchConversations.Model, BenchConversations.Encoding, budget, ChatTurns.Tokens(next));
        var meter = silo.Meter;
        var plan = PromptPlan.NotFound;
        for (var i = 0; i < Warmup; i++)
        {
            await silo.Management.DeactivateGrain(grainId);
            plan = await grain.BuildPromptAsync(BenchConversations.UserId, request);
        }

        var samples = new long[iterations];
        var summaries = silo.Summarizer.Calls;
        var calls = silo.Transcripts.Calls;
        var window = meter is null ? null : await meter.StartAsync();
        var cpu = TimeSpan.Zero;
        long allocated = 0;
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        for (var i = 0; i < iterations; i++)
        {
            await silo.Management.DeactivateGrain(grainId);
            var cpuStart = Environment.CpuUsage.TotalTime;
            var allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            plan = await grain.BuildPromptAsync(BenchConversations.UserId, request);
            samples[i] = Stopwatch.GetTimestamp() - start;
            allocated += GC.GetTotalAllocatedBytes(precise: true) - allocatedStart;
            cpu += Environment.CpuUsage.TotalTime - cpuStart;
        }
        var delta = window is null ? null : await window.StopAsync();
        if (plan.Status != PromptStatus.Ready)
        {
            throw new InvalidOperationException($"{label}: prompt {plan.Status}");
        }
        long? stateBytes = meter is null ? null : await meter.HashFieldLengthAsync(silo.Redis!.Key(RedisTranscriptStore.HashTag(id), "state"), "data");
        return new ActivationResult(label, budget, iterations, Percentiles.Of(samples), plan.Messages.Count, plan.SummaryUsed, delta,
            silo.Transcripts.Calls - calls, silo.Summarizer.Calls - summaries, stateBytes, cpu.TotalMicroseconds / iterations, (double)allocated / iterations,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
    }
}
