using Microsoft.Extensions.Logging.Abstractions;
using Parley.Silo.Providers;
using Parley.Silo.Routing;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>The choice among a group's deployments, exactly: smooth weighted round robin, and latency-aware power of
/// two choices with probes, on a manual clock.</summary>
public sealed class DeploymentSelectorTests
{
    private static readonly RoutingOptions Options = new() { ProbeInterval = TimeSpan.FromSeconds(10) };

    private sealed class NoProvider(string name) : IChatProvider
    {
        public string Name { get; } = name;
        public ProviderOptions Options { get; } = new() { BaseUrl = "http://127.0.0.1:1/" };
        public Task<UpstreamCall> SendAsync(UpstreamRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public ValueTask ReportFailureAsync(UpstreamCall call) => ValueTask.CompletedTask;
    }

    private static CatalogModel Group(RoutingStrategy strategy, TimeProvider time, params (int Weight, int Priority, int? Window)[] members)
    {
        var list = members.Select((m, i) => new DeploymentMember(
            new Deployment(new NoProvider("p" + i), "m", Options, time, new RoutingMetrics(), NullLogger.Instance), i, m.Weight, m.Priority, m.Window)).ToList();
        return new CatalogModel("g", "test", 0, TokenCounting.For("gpt-4o", new ModelOptions()), list, strategy, null);
    }

    private static int[] Split(CatalogModel model, int calls, ManualTimeProvider clock, TimeSpan step = default)
    {
        var counts = new int[model.Members.Count];
        for (var i = 0; i < calls; i++)
        {
            var chosen = DeploymentSelector.Pick(model, new SelectionFilter(0, 0, 0), clock.GetUtcNow(), Options, out _)!;
            counts[chosen.Index]++;
            clock.Advance(step);
        }
        return counts;
    }

    [Fact]
    public void Weighted_choice_is_exact_and_interleaved()
    {
        var clock = new ManualTimeProvider();
        var model = Group(RoutingStrategy.Weighted, clock, (6, 0, null), (3, 0, null), (1, 0, null));

        var order = Enumerable.Range(0, 10).Select(_ => DeploymentSelector.Pick(model, new SelectionFilter(0, 0, 0), clock.GetUtcNow(), Options, out DateTimeOffset _)!.Index).ToArray();

        Assert.Equal([0, 1, 0, 0, 1, 0, 2, 0, 1, 0], order);
        Assert.Equal([6000, 3000, 1000], Split(model, 10_000, clock));
    }

    [Fact]
    public void Tried_and_too_small_deployments_are_skipped_and_lower_priorities_wait_their_turn()
    {
        var clock = new ManualTimeProvider();
        var model = Group(RoutingStrategy.Weighted, clock, (1, 0, 100), (1, 0, 1000), (1, 1, 5000));
        var now = clock.GetUtcNow();

        Assert.Equal(1, DeploymentSelector.Pick(model, new SelectionFilter(0, 500, 0), now, Options, out _)!.Index);
        Assert.Equal(2, DeploymentSelector.Pick(model, new SelectionFilter(0b010, 500, 0), now, Options, out _)!.Index);
        Assert.Equal(2, DeploymentSelector.Pick(model, new SelectionFilter(0, 0, 1000), now, Options, out _)!.Index);
        Assert.Null(DeploymentSelector.Pick(model, new SelectionFilter(0b110, 500, 0), now, Options, out var reopen));
        Assert.Equal(DateTimeOffset.MaxValue, reopen);
    }

    [Fact]
    public void Latency_aware_choice_sends_less_to_the_slow_deployment_but_keeps_probing_it()
    {
        var clock = new ManualTimeProvider();
        var model = Group(RoutingStrategy.LatencyAware, clock, (1, 0, null), (1, 0, null));
        model.Members[0].Deployment.RecordLatency(50);
        model.Members[1].Deployment.RecordLatency(400);
        model.Members[0].Deployment.MarkChosen(clock.GetUtcNow());
        model.Members[1].Deployment.MarkChosen(clock.GetUtcNow());

        // 1,000 calls over 100 s: the slow one loses every comparison, and is chosen only as the probe once 10 s have
        // passed since it was last chosen (at 10.1 s, 20.2 s, … 90.9 s).
        var counts = Split(model, 1000, clock, TimeSpan.FromMilliseconds(100));

        Assert.Equal(9, counts[1]);
        Assert.Equal(991, counts[0]);
    }

    [Fact]
    public void Latency_aware_choice_weighs_calls_in_flight()
    {
        var clock = new ManualTimeProvider();
        var model = Group(RoutingStrategy.LatencyAware, clock, (1, 0, null), (1, 0, null));
        model.Members[0].Deployment.RecordLatency(50);
        model.Members[1].Deployment.RecordLatency(120);
        model.Members[0].Deployment.MarkChosen(clock.GetUtcNow());
        model.Members[1].Deployment.MarkChosen(clock.GetUtcNow());

        Assert.Equal(0, DeploymentSelector.Pick(model, new SelectionFilter(0, 0, 0), clock.GetUtcNow(), Options, out _)!.Index);
        // 50 ms × 3 calls queued is worse than 120 ms × 1.
        model.Members[0].Deployment.Started();
        model.Members[0].Deployment.Started();
        Assert.Equal(1, DeploymentSelector.Pick(model, new SelectionFilter(0, 0, 0), clock.GetUtcNow(), Options, out _)!.Index);
    }
}
