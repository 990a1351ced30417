using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;
using Parley.Silo.Cache;
using Xunit;

namespace Parley.Silo.Tests.Cache;

public sealed class ResponseCacheRegistrationTests
{
    private static WebApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }
        return builder;
    }

    [Fact]
    public async Task Without_redis_the_memory_store_is_used_and_options_are_bound()
    {
        var builder = Builder(("Parley:Cache:Ttl", "00:10:00"), ("Parley:Cache:MaxTemperature", "0.3"), ("Parley:Cache:Scope", "Global"),
            ("Parley:Cache:MaxEntryBytes", "2048"), ("Parley:Cache:MaxMemoryBytes", "4096"), ("Parley:Cache:Enabled", "false"));
        builder.AddParleyResponseCache();
        await using var services = builder.Services.BuildServiceProvider();
        Assert.IsType<MemoryResponseCacheStore>(services.GetRequiredService<IResponseCacheStore>());
        Assert.NotNull(services.GetRequiredService<ResponseCache>());
        var options = services.GetRequiredService<IOptions<ResponseCacheOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(10), options.Ttl);
        Assert.Equal(0.3, options.MaxTemperature);
        Assert.Equal(ResponseCacheScope.Global, options.Scope);
        Assert.Equal(2048, options.MaxEntryBytes);
        Assert.Equal(4096, options.MaxMemoryBytes);
        Assert.False(options.Enabled);
    }

    [Fact]
    public async Task With_a_redis_connection_the_redis_store_is_used()
    {
        var builder = Builder();
        // Never connected: the store is only resolved.
        builder.Services.AddRedis(o => o.ConnectionString = "127.0.0.1:1");
        builder.AddParleyResponseCache();
        await using var services = builder.Services.BuildServiceProvider();
        Assert.IsType<RedisResponseCacheStore>(services.GetRequiredService<IResponseCacheStore>());
    }

    [Theory]
    [InlineData("Parley:Cache:Ttl", "00:00:00")]
    [InlineData("Parley:Cache:MaxTemperature", "-0.1")]
    [InlineData("Parley:Cache:MaxEntryBytes", "0")]
    [InlineData("Parley:Cache:MaxMemoryBytes", "1000")]
    [InlineData("Parley:Cache:OperationTimeout", "00:00:00")]
    public async Task Invalid_options_fail_validation(string key, string value)
    {
        var builder = Builder((key, value));
        builder.AddParleyResponseCache();
        await using var services = builder.Services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ResponseCacheOptions>>().Value);
        Assert.Contains(key.Split(':')[^1], error.Message);
    }

    [Fact]
    public void Defaults_match_the_documentation()
    {
        var options = new ResponseCacheOptions();
        Assert.True(options.Enabled);
        Assert.Equal(TimeSpan.FromHours(1), options.Ttl);
        Assert.Equal(0.0, options.MaxTemperature);
        Assert.Equal(1024 * 1024, options.MaxEntryBytes);
        Assert.Equal(64L * 1024 * 1024, options.MaxMemoryBytes);
        Assert.Equal(ResponseCacheScope.User, options.Scope);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.OperationTimeout);
    }
}
