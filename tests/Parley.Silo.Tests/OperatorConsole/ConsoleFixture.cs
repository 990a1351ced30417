using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Silo.Tests.OperatorConsole;

/// <summary>A silo and simulator with a second provider, <see cref="RefusingProvider"/>, whose one key the simulator
/// refuses (401), as a revoked upstream key would be: one call through <see cref="RefusedModel"/> takes it out of
/// rotation, for the console to show and re-enable.</summary>
public sealed class ConsoleFixture : SiloFixture
{
    public const string RefusingProvider = "refusing";
    public const string RefusingKeyId = "old";
    public const string RefusingKey = "sk-upstream-refused-key-0123456789";
    public const string RefusedModel = "refused-model";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        var simulator = new Uri(settings[$"Parley:Providers:{SiloHarness.ProviderName}:BaseUrl"]!);
        TestSiloSettings.AddSimulatorProvider(settings, RefusingProvider, simulator, apiKey: "");
        settings[$"Parley:Providers:{RefusingProvider}:Keys:0:Id"] = RefusingKeyId;
        settings[$"Parley:Providers:{RefusingProvider}:Keys:0:ApiKey"] = RefusingKey;
        settings[$"Parley:Providers:{RefusingProvider}:Keys:0:RequestsPerMinute"] = "600";
        settings[$"Parley:Models:{RefusedModel}:Provider"] = RefusingProvider;
        settings[$"Parley:Models:{RefusedModel}:UpstreamModel"] = SiloHarness.UpstreamModel;
    }

    protected override void ConfigureSimulator(Sim.Hosting.SimulatorOptions options) => options.ApiKeys = [SiloHarness.UpstreamKey];
}
