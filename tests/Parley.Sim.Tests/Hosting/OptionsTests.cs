using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Sim.Faults;
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
    public async Task Random_429_and_content_policy_settings_are_validated()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(o =>
        {
            o.RateLimitRate = 0.6;
            o.CutBeforeFirstByteRate = 0.5;
            o.RateLimitRetryAfter = TimeSpan.Zero;
            o.ContentPolicyTrigger = "  ";
        }));
        var outOfRange = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(o => o.RateLimitRate = 1.5));

        Assert.Contains("Simulator fault rates must add up to at most 1.", failure.Failures);
        Assert.Contains("Simulator:RateLimitRetryAfter must be positive.", failure.Failures);
        Assert.Contains(failure.Failures, f => f.StartsWith("Simulator:ContentPolicyTrigger must not be only white space", StringComparison.Ordinal));
        Assert.Contains("Simulator:RateLimitRate must be between 0 and 1 (was 1.5).", outOfRange.Failures);
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
            ["Parley:Simulator:RateLimitRate"] = "0.125",
            ["Parley:Simulator:RateLimitRetryAfter"] = "00:00:02.500",
            ["Parley:Simulator:ContentPolicyTrigger"] = "jailbreak",
        }).Build();

        await using var sim = await SimulatorHost.StartAsync(configuration: configuration.GetSection("Parley:Simulator"));

        Assert.Equal(["only-model"], sim.Options.Models);
        Assert.Equal(["sk-one"], sim.Options.ApiKeys);
        Assert.Equal(10, sim.Options.RequestsPerWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), sim.Options.RateLimitWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(250), sim.Options.TimeToFirstToken);
        Assert.Equal(0.25, sim.Options.CutMidStreamRate);
        Assert.Equal(0.125, sim.Options.RateLimitRate);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), sim.Options.RateLimitRetryAfter);
        Assert.Equal("jailbreak", sim.Options.ContentPolicyTrigger);
        Assert.Equal(new FaultRates(0, 0.125, 0, 0.25, 0, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(2500)), sim.Faults.Current);
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
