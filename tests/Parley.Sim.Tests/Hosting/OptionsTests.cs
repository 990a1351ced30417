using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;

namespace Parley.Sim.Tests.Hosting;

public sealed class OptionsTests
{
    [Fact]
    public async Task Invalid_settings_fail_at_start_with_every_problem_listed()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(o =>
        {
            o.ResponseTokens = 0;
            o.TokensPerSecond = -1;
            o.ServerErrorRate = 0.7;
            o.TimeoutRate = 0.7;
            o.RateLimitWindow = TimeSpan.Zero;
            o.ApiKeys = ["ok", " "];
        }));

        Assert.Contains(failure.Failures, f => f.Contains("ResponseTokens", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("TokensPerSecond", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("add up to at most 1", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("RateLimitWindow", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("ApiKeys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Settings_bind_from_a_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Parley:Simulator:Models:0"] = "only-model",
            ["Parley:Simulator:ApiKeys:0"] = "sk-one",
            ["Parley:Simulator:RequestsPerWindow"] = "10",
            ["Parley:Simulator:RateLimitWindow"] = "00:00:05",
            ["Parley:Simulator:TimeToFirstToken"] = "00:00:00.250",
            ["Parley:Simulator:CutMidStreamRate"] = "0.25",
        }).Build();

        await using var sim = await SimulatorHost.StartAsync(configuration: configuration.GetSection("Parley:Simulator"));

        Assert.Equal(["only-model"], sim.Options.Models);
        Assert.Equal(["sk-one"], sim.Options.ApiKeys);
        Assert.Equal(10, sim.Options.RequestsPerWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), sim.Options.RateLimitWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(250), sim.Options.TimeToFirstToken);
        Assert.Equal(0.25, sim.Options.CutMidStreamRate);
    }

    [Fact]
    public void Standalone_build_reads_the_simulator_section_from_arguments()
    {
        var app = SimulatorApplication.Build(["--urls", "http://127.0.0.1:0", "--Simulator:ResponseTokens=7", "--Simulator:AcceptAnyModel=true"]);

        var options = app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
        Assert.Equal(7, options.ResponseTokens);
        Assert.True(options.AcceptAnyModel);
        Assert.Contains("7 tokens", options.Describe());
    }
}
