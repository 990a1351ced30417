using Microsoft.AspNetCore.Builder;
using Parley.Silo.Tests.Infrastructure;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;

namespace Parley.Silo.Tests.Routing;

/// <summary>A silo in front of several simulators, one provider each (<c>up0</c>, <c>up1</c>, …), so each deployment's
/// traffic and faults are its own. Retries, backoff and breakers are as each test configures them.</summary>
public sealed class RoutingHarness : IAsyncDisposable
{
    public const string UpstreamModel = "sim-small";

    private RoutingHarness(SiloHarness silo, IReadOnlyList<SimulatorHost> upstreams, string key)
    {
        Silo = silo;
        Upstreams = upstreams;
        Client = silo.CreateClient(key);
    }

    public SiloHarness Silo { get; }

    /// <summary>Upstream i is provider <c>up{i}</c>.</summary>
    public IReadOnlyList<SimulatorHost> Upstreams { get; }

    public HttpClient Client { get; }

    public static string Provider(int i) => "up" + i;

    /// <summary>Starts <paramref name="upstreams"/> simulators (each configured by <paramref name="configureUpstream"/>)
    /// and a silo with a provider for each; <paramref name="configure"/> adds models, rules and resilience settings.</summary>
    public static async Task<RoutingHarness> StartAsync(int upstreams, Action<IDictionary<string, string?>> configure,
        Action<int, SimulatorOptions>? configureUpstream = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var sims = new List<SimulatorHost>();
        try
        {
            for (var i = 0; i < upstreams; i++)
            {
                var index = i;
                sims.Add(await SimulatorHost.StartAsync(o => configureUpstream?.Invoke(index, o)));
            }
            var silo = await SiloHarness.StartAsync(settings =>
            {
                for (var i = 0; i < sims.Count; i++)
                {
                    var p = $"Parley:Providers:{Provider(i)}";
                    settings[$"{p}:BaseUrl"] = sims[i].BaseUrl.ToString();
                    settings[$"{p}:ApiKey"] = SiloHarness.UpstreamKey;
                    settings[$"{p}:ForwardHeaders:0"] = SimHeaders.Fault;
                    settings[$"{p}:ForwardHeaders:1"] = SimHeaders.RetryAfter;
                    settings[$"{p}:ForwardHeaders:2"] = SimHeaders.CutAfterChunks;
                    settings[$"{p}:Pool:ErrorsBeforeCooldown"] = "100000";
                    settings[$"{p}:Resilience:Retry:BaseDelay"] = "00:00:00.010";
                    settings[$"{p}:Resilience:Retry:MaxDelay"] = "00:00:00.050";
                }
                configure(settings);
            }, configureBuilder: configureBuilder);
            try
            {
                var (_, key) = await silo.CreateUserAsync("routing-user");
                return new RoutingHarness(silo, sims, key);
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }
        }
        catch
        {
            foreach (var sim in sims)
            {
                await sim.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>Adds model <paramref name="model"/> as a group: one deployment per (upstream, weight, priority).</summary>
    public static void Group(IDictionary<string, string?> settings, string model, params (int Upstream, int Weight, int Priority)[] deployments)
    {
        for (var i = 0; i < deployments.Length; i++)
        {
            var (upstream, weight, priority) = deployments[i];
            var d = $"Parley:Models:{model}:Deployments:{i}";
            settings[$"{d}:Provider"] = Provider(upstream);
            settings[$"{d}:UpstreamModel"] = UpstreamModel;
            settings[$"{d}:Weight"] = weight.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"{d}:Priority"] = priority.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        settings[$"Parley:Models:{model}:Encoding"] = "o200k_base";
    }

    /// <summary>Sets a resilience setting (e.g. <c>Retry:MaxRetries</c>) on every upstream provider.</summary>
    public static void Resilience(IDictionary<string, string?> settings, int upstreams, string name, string value)
    {
        for (var i = 0; i < upstreams; i++)
        {
            settings[$"Parley:Providers:{Provider(i)}:Resilience:{name}"] = value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Silo.DisposeAsync();
        foreach (var sim in Upstreams)
        {
            await sim.DisposeAsync();
        }
    }
}
