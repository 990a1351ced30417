using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Parley.Grains.Redis;

/// <summary>The process's one <see cref="ConnectionMultiplexer"/>, created on first use. It is configured not to
/// abort when Redis is unreachable, so a silo starts while Redis is briefly down and the multiplexer reconnects on
/// its own; commands fail meanwhile and callers see those failures.</summary>
internal sealed partial class RedisConnection : IRedisConnection, IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly ILogger<RedisConnection> _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private volatile IConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    public RedisConnection(IOptions<RedisOptions> options, ILogger<RedisConnection> logger)
    {
        _options = options.Value;
        _logger = logger;
        Configuration = ConfigurationOptions.Parse(_options.ConnectionString!);
        Configuration.AbortOnConnectFail = false;
    }

    public ConfigurationOptions Configuration { get; }

    public ValueTask<IConnectionMultiplexer> GetMultiplexerAsync(CancellationToken cancellationToken = default)
    {
        var existing = _multiplexer;
        return existing is not null ? ValueTask.FromResult(existing) : new ValueTask<IConnectionMultiplexer>(ConnectAsync(cancellationToken));
    }

    public string Key(string hashTag, string suffix) => string.Concat("{", _options.KeyPrefix, ":", hashTag, "}:", suffix);

    private async Task<IConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_multiplexer is { } existing)
            {
                return existing;
            }
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(Configuration.Clone()).ConfigureAwait(false);
            multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.EndPoint?.ToString(), e.FailureType.ToString(), e.Exception);
            multiplexer.ConnectionRestored += (_, e) => LogConnectionRestored(_logger, e.EndPoint?.ToString());
            if (!multiplexer.IsConnected)
            {
                LogNotConnectedYet(_logger);
            }
            _multiplexer = multiplexer;
            return multiplexer;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_multiplexer is { } m)
            {
                await m.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
                m.Dispose();
                _multiplexer = null;
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed ({FailureType}).")]
    private static partial void LogConnectionFailed(ILogger logger, string? endPoint, string failureType, Exception? exception);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored.")]
    private static partial void LogConnectionRestored(ILogger logger, string? endPoint);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Redis is not reachable yet; commands will fail until the connection is established.")]
    private static partial void LogNotConnectedYet(ILogger logger);
}
