using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Auth;

/// <summary>One silo per test class: tests in a class share it and each works with users it creates itself, so
/// they stay independent without paying a silo start per test.</summary>
public sealed class HarnessFixture : IAsyncLifetime
{
    private SiloHarness? _harness;

    public SiloHarness Harness => _harness ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _harness = await SiloHarness.StartAsync();

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
