using Xunit;

namespace Parley.Silo.Tests.Infrastructure;

/// <summary>One harness and one user per test class (tests in a class run one at a time, so the simulator's
/// recorded requests belong to the running test).</summary>
public class SiloFixture : IAsyncLifetime
{
    private SiloHarness? _harness;

    public SiloHarness Harness => _harness ?? throw new InvalidOperationException("The fixture has not started.");

    public string UserId { get; private set; } = "";

    public string Key { get; private set; } = "";

    /// <summary>An HttpClient authenticated as the fixture's user.</summary>
    public HttpClient Client { get; private set; } = null!;

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    protected virtual void ConfigureSimulator(Sim.Hosting.SimulatorOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        _harness = await SiloHarness.StartAsync(Configure, ConfigureSimulator);
        (UserId, Key) = await _harness.CreateUserAsync("fixture-user");
        Client = _harness.CreateClient(Key);
    }

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
