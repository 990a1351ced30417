using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;

namespace Parley.Silo.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>The silo's own metrics beyond those each feature registers: upstream key states, the Redis connection,
    ///. (OpenTelemetry itself is wired by the service defaults.)</summary>
    public static WebApplicationBuilder AddParleyTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<UpstreamKeyStateMetrics>();
        services.AddHostedService(static sp => sp.GetRequiredService<UpstreamKeyStateMetrics>());
        if (builder.Configuration.HasRedis())
        {
            services.AddSingleton<RedisMetrics>();
            // Created with the host, so the gauge exists from the start.
            services.AddHostedService(static sp => new Started<RedisMetrics>(sp.GetRequiredService<RedisMetrics>()));
        }
        return builder;
    }

    /// <summary>Resolves a singleton when the host starts.</summary>
    private sealed class Started<T>(T service) : Microsoft.Extensions.Hosting.IHostedService
    {
        public T Service { get; } = service;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
