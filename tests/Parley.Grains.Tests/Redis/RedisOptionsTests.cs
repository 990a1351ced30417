using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;

namespace Parley.Grains.Tests.Redis;

public sealed class RedisOptionsTests
{
    [Theory]
    [InlineData("", "parley", "ConnectionString is required")]
    [InlineData("127.0.0.1:6379", "a{b}", "KeyPrefix")]
    [InlineData("127.0.0.1:6379", "", "KeyPrefix")]
    public async Task Redis_needs_a_connection_string_and_a_plain_prefix(string connectionString, string prefix, string message)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddRedis(o =>
        {
            o.ConnectionString = connectionString;
            o.KeyPrefix = prefix;
        });
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void Options_are_bound_from_their_section_and_then_configured()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Parley:Redis:ConnectionString"] = "127.0.0.1:6390",
            ["Parley:Redis:KeyPrefix"] = "blue",
        });
        builder.Services.AddSingleton<IConfiguration>(builder.Configuration);
        builder.Services.AddRedis(o => o.KeyPrefix = "green");
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<RedisOptions>>().Value;
        Assert.Equal("127.0.0.1:6390", options.ConnectionString);
        Assert.Equal("green", options.KeyPrefix);
        Assert.True(builder.Configuration.HasRedis());
    }
}
