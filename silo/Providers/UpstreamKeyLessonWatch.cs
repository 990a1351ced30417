using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parley.Grains.UpstreamKeys;

namespace Parley.Silo.Providers;

/// <summary>Ends this silo's trust in a quiet key (<see cref="KeyPoolOptions.UnlimitedKeyRecheck"/>) as soon as any silo
/// writes a lesson of it to the store (a 429's block or delay, a cool-down, a disabling), instead of at the recheck:
/// without it, the other silos would go on calling a key the upstream just refused for up to the recheck. Subscribes at
/// start, again every <see cref="RetryInterval"/> while the store cannot be reached; a silo whose pools trust no key
/// does not subscribe.</summary>
internal sealed partial class UpstreamKeyLessonWatch(ModelCatalog catalog, IUpstreamKeyStore store, TimeProvider time, ILogger<UpstreamKeyLessonWatch> logger)
    : BackgroundService
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private IAsyncDisposable? _watch;

    /// <summary>The keys a lesson can end the trust of, by grain key: the unlimited keys of pools that trust them.</summary>
    public static Dictionary<string, PoolKey> QuietKeys(IEnumerable<UpstreamKeyPool> pools)
        => pools.Where(static p => p.TrustsQuietKeys).SelectMany(static p => p.Keys).Where(static k => k.IsUnlimited)
            .ToDictionary(static k => k.GrainKey, StringComparer.Ordinal);

    /// <summary>Every lesson of one of <paramref name="keys"/> ends its trust: its next call asks the store.</summary>
    public static Task<IAsyncDisposable> WatchAsync(IReadOnlyDictionary<string, PoolKey> keys, IUpstreamKeyStore store, CancellationToken cancellationToken)
        => store.WatchLessonsAsync(grainKey =>
        {
            if (keys.TryGetValue(grainKey, out var key))
            {
                key.EndQuiet();
            }
        }, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var keys = QuietKeys(catalog.KeyPools);
        if (keys.Count == 0)
        {
            return;
        }
        while (true)
        {
            try
            {
                _watch = await WatchAsync(keys, store, stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogWatchFailed(logger, RetryInterval, e);
            }
            await Task.Delay(RetryInterval, time, stoppingToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_watch is { } watch)
        {
            await watch.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 4116, Level = LogLevel.Warning,
        Message = "Could not subscribe to the upstream keys' lessons; trying again in {RetryIn}. Meanwhile a lesson another silo learns reaches this one at the unlimited keys' recheck.")]
    private static partial void LogWatchFailed(ILogger logger, TimeSpan retryIn, Exception exception);
}
