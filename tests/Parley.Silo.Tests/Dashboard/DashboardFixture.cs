using Parley.Testing;
using Microsoft.Extensions.Logging;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>One silo per test class, with every log line captured (at Debug and above, Orleans' own at Warning) and
/// wrong sign-ins answered quickly. Tests that count wrong sign-ins use their own silo.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    private SiloHarness? _harness;

    public SiloHarness Harness => _harness ?? throw new InvalidOperationException("Not started.");

    public CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync() => _harness = await SiloHarness.StartAsync(
        settings =>
        {
            settings["Logging:LogLevel:Default"] = "Debug";
            settings["Logging:LogLevel:Orleans"] = "Warning";
            settings["Parley:Dashboard:SignInFailureDelay"] = "00:00:00.200";
            settings["Parley:Dashboard:MaxSignInFailures"] = "1000";
        },
        configureBuilder: builder => builder.Logging.AddProvider(Logs));

    public BrowserClient CreateBrowser() => new(Harness.SiloUrl);

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
