using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Parley.Grains.Batches;
using Parley.Grains.Redis;

namespace Parley.Silo.Batches;

public static class BatchExtensions
{
    /// <summary>The Files and Batch APIs: the batch grain's stores and options (Parley:Batch), and the line executor
    /// that runs lines through the chat completion handler.</summary>
    public static WebApplicationBuilder AddParleyBatches(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(BatchOptions.SectionName);
        builder.Services.AddBatchGrain(o => section.Bind(o));
        builder.Services.AddSingleton<IBatchLineExecutor, BatchLineExecutor>();
        return builder;
    }

    /// <summary>Orleans' reminder service, which wakes a running batch on another silo after its silo died: Redis
    /// (Orleans' Redis reminder table, over the process's shared connection) in a cluster, memory embedded. A
    /// Parley:Batch:ReminderPeriod under Orleans' 1-minute floor lowers the floor (tests).</summary>
    internal static ISiloBuilder AddParleyReminders(this ISiloBuilder silo, bool redis, IConfiguration configuration)
    {
        if (redis)
        {
            silo.UseRedisReminderService(static _ => { });
            silo.Services.AddOptions<RedisReminderTableOptions>().Configure<IRedisConnection>(static (o, connection) =>
                (o.ConfigurationOptions, o.CreateMultiplexer) = connection.ForOrleans<RedisReminderTableOptions>());
        }
        else
        {
            silo.UseInMemoryReminderService();
        }
        var period = configuration.GetSection(BatchOptions.SectionName).Get<BatchOptions>()?.ReminderPeriod ?? TimeSpan.FromMinutes(1);
        if (period < TimeSpan.FromMinutes(1))
        {
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = period);
        }
        return silo;
    }

    /// <summary>Operator routes under /admin.</summary>
    public static RouteGroupBuilder MapBatchAdmin(this RouteGroupBuilder admin) => BatchAdminEndpoints.Map(admin);

    public static RouteGroupBuilder MapBatches(this RouteGroupBuilder group) => BatchEndpoints.Map(FileEndpoints.Map(group));
}
