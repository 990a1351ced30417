using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Tests.Hosting;

public sealed class OptionsValidationTests
{
    private static async Task<OptionsValidationException> StartFailsAsync(Action<IServiceCollection> configure)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder.Services);
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Fact]
    public async Task Grain_runtime_periods_must_be_positive()
    {
        var ex = await StartFailsAsync(s => s.AddGrainRuntime(o => o.CollectionQuantum = TimeSpan.Zero));
        Assert.Contains("Parley:Grains:CollectionQuantum", ex.Message);
    }

    [Fact]
    public async Task The_death_timeout_must_exceed_the_heartbeat_period()
    {
        var ex = await StartFailsAsync(s => s.AddInMemoryMembershipTable().AddSiloMembership(o =>
        {
            o.IAmAlivePeriod = TimeSpan.FromSeconds(10);
            o.DeathTimeout = TimeSpan.FromSeconds(10);
        }));
        Assert.Contains("DeathTimeout", ex.Message);
    }

    [Fact]
    public async Task The_advertised_address_must_be_an_http_url()
    {
        var ex = await StartFailsAsync(s => s.AddInMemoryMembershipTable().AddMembershipReader(o => o.AdvertisedAddress = "silo:8080"));
        Assert.Contains("AdvertisedAddress", ex.Message);
    }

    [Theory]
    [InlineData("", "parley", "ConnectionString is required")]
    [InlineData("127.0.0.1:6379", "a{b}", "KeyPrefix")]
    [InlineData("127.0.0.1:6379", "", "KeyPrefix")]
    public async Task Redis_needs_a_connection_string_and_a_plain_prefix(string connectionString, string prefix, string message)
    {
        var ex = await StartFailsAsync(s => s.AddRedis(o =>
        {
            o.ConnectionString = connectionString;
            o.KeyPrefix = prefix;
        }));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void Options_are_bound_from_their_configuration_section_and_then_configured()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Parley:Grains:DefaultCollectionAge"] = "00:05:00",
            ["Parley:Grains:CollectionQuantum"] = "00:00:30",
            ["Parley:Membership:ClusterId"] = "blue",
            ["Parley:Membership:DeathTimeout"] = "00:01:00",
        });
        builder.Services.AddGrainRuntime(o => o.CollectionQuantum = TimeSpan.FromSeconds(10));
        builder.Services.AddInMemoryMembershipTable().AddMembershipReader();
        using var host = builder.Build();

        var grains = host.Services.GetRequiredService<IOptions<GrainRuntimeOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(5), grains.DefaultCollectionAge);
        Assert.Equal(TimeSpan.FromSeconds(10), grains.CollectionQuantum);
        var membership = host.Services.GetRequiredService<IOptions<MembershipOptions>>().Value;
        Assert.Equal("blue", membership.ClusterId);
        Assert.Equal(TimeSpan.FromMinutes(1), membership.DeathTimeout);
    }
}
