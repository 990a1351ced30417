using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Silo.Providers;
using Parley.Silo.Providers.Wire;
using Parley.Silo.Routing;

namespace Parley.Bench.Routing;

internal sealed record RoutingBenchmarkOptions(int Calls, int Rounds);

/// <summary>
/// What routing and the resilience pipeline add to one upstream call when nothing fails (goal: under 20 µs). The
/// upstream is an in-process provider answering at once, so only Parley's own work is timed: the baseline sends, opens
/// the body and reads its first bytes; the routed call does the same through the router (deployment choice in a
/// 60/30/10 group, the Polly pipeline of retry, circuit breaker and first-byte timeout, the peek before committing).
/// </summary>
internal static class RoutingBenchmark
{
    private const double GoalMicroseconds = 20;
    private static readonly byte[] Answer = """{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"""u8.ToArray();

    public static async Task<int> RunAsync(RoutingBenchmarkOptions options)
    {
        var time = TimeProvider.System;
        var catalogOptions = new UpstreamCatalogOptions();
        var providers = Enumerable.Range(0, 3).Select(i => new InstantProvider("p" + i)).ToArray();
        var members = providers.Select((p, i) => new DeploymentMember(new Deployment(p, "m", catalogOptions.Routing, time, new RoutingMetrics(), NullLogger.Instance), i, new[] { 60, 30, 10 }[i], 0, null)).ToList();
        var model = new CatalogModel("bench", "bench", 0, TokenCounting.For("gpt-4o", new ModelOptions()), members, RoutingStrategy.Weighted, null);
        var router = new UpstreamRouter(Options.Create(catalogOptions), time, new RoutingMetrics(), NullLogger<UpstreamRouter>.Instance);
        var modelName = members[0].Deployment.Model;
        var body = UpstreamBody.Of(Answer, 0, 0, modelName);
        var route = new RouteRequest(body, Stream: false, ClientHeaders: null, TokenCost: 100, RequiredWindow: 0);
        var buffer = new byte[4096];

        async Task Direct()
        {
            using var call = await providers[0].SendAsync(new UpstreamRequest(body, modelName, false, null, 100, default), default);
            var answer = await call.OpenBodyAsync(default);
            await using (answer.Stream)
            {
                _ = await answer.Stream.ReadAsync(buffer);
            }
        }

        async Task Routed()
        {
            using var call = await router.SendAsync(model, route, default);
            _ = await call.Success!.Body.Stream.ReadAsync(buffer);
        }

        Console.WriteLine(Invariant($"Routing and resilience overhead: {options.Calls:N0} calls per round, {options.Rounds} interleaved rounds, one thread, an in-process upstream that answers at once."));
        Console.WriteLine();
        Console.WriteLine("| round | direct mean µs | routed mean µs | added mean µs | direct p50 µs | routed p50 µs | added p50 µs | routed bytes/call | direct bytes/call |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        await MeasureAsync(Direct, options.Calls / 10);
        await MeasureAsync(Routed, options.Calls / 10);
        var added = new List<double>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var direct = await MeasureAsync(Direct, options.Calls);
            var routed = await MeasureAsync(Routed, options.Calls);
            added.Add(routed.P50 - direct.P50);
            Console.WriteLine(Invariant($"| {round} | {direct.Mean:F2} | {routed.Mean:F2} | {routed.Mean - direct.Mean:F2} | {direct.P50:F2} | {routed.P50:F2} | {routed.P50 - direct.P50:F2} | {routed.BytesPerCall:F0} | {direct.BytesPerCall:F0} |"));
        }
        // The direct baseline always calls the first provider.
        var directCalls = options.Calls / 10 + (long)options.Calls * options.Rounds;
        var split = string.Join("/", providers.Select((p, i) => i == 0 ? p.Calls - directCalls : p.Calls));
        added.Sort();
        var median = added[added.Count / 2];
        Console.WriteLine();
        Console.WriteLine(Invariant($"Routed calls per deployment (60/30/10 weights, warm-up included): {split}."));
        var pass = median < GoalMicroseconds;
        Console.WriteLine(Invariant($"Verdict: {(pass ? "PASS" : "FAIL")} - routing and resilience add p50 {median:F2} µs per call (median of rounds; goal: under {GoalMicroseconds:F0} µs)."));
        return pass ? 0 : 1;
    }

    private readonly record struct Result(double Mean, double P50, double BytesPerCall);

    private static async Task<Result> MeasureAsync(Func<Task> call, int calls)
    {
        var samples = new long[calls];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            var at = Stopwatch.GetTimestamp();
            await call();
            samples[i] = Stopwatch.GetTimestamp() - at;
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)calls;
        return new Result(elapsed.TotalMicroseconds / calls, Percentiles.Of(samples).P50, bytes);
    }

    /// <summary>An upstream that answers 200 with a fixed body at once (completing synchronously), through the OpenAI wire.</summary>
    private sealed class InstantProvider(string name) : IChatProvider
    {
        private readonly OpenAIWire _wire = new(new ProviderOptions(), () => new Uri("http://127.0.0.1:1/v1/"));
        private long _calls;

        public string Name { get; } = name;

        public ProviderOptions Options { get; } = new() { BaseUrl = "http://127.0.0.1:1/v1/" };

        public long Calls => Interlocked.Read(ref _calls);

        public Task<UpstreamCall> SendAsync(UpstreamRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Answer) };
            return Task.FromResult(new UpstreamCall(response, "key", wasTrial: false, _wire, stream: false, release: null));
        }

        public ValueTask ReportFailureAsync(UpstreamCall call) => ValueTask.CompletedTask;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
