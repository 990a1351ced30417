using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.Redis;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Providers;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Providers;

/// <summary>A key pool's starts hold up on a busy machine: a start missed by more than the margin absorbs is given up
/// and a new one planned from when the call can really go; a waiting call whose key the upstream pushed back asks
/// again; a slow pacing store is waited for and never lets a call go unpaced, a store that cannot be reached does at
/// once. The pool is driven directly, on a manual clock where time can be driven.</summary>
public sealed class UpstreamKeyPoolStartTests
{
    private const string Provider = "up";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static ProviderOptions OneKey(int requestsPerMinute) => new()
    {
        BaseUrl = "http://127.0.0.1:1/v1",
        Keys = [new UpstreamKeyOptions { Id = "k", ApiKey = "sk-k", RequestsPerMinute = requestsPerMinute }],
        Pool = new KeyPoolOptions { PacingMargin = 0.05 },
    };

    private static UpstreamKeyPool Pool(ProviderOptions options, IUpstreamKeyStore store, TimeProvider time)
        => new(Provider, options, store, grains: null!, time, NullLogger.Instance);

    /// <summary>Moves the manual clock in small steps until <paramref name="pending"/> completes (bounded).</summary>
    private static async Task<T> DriveAsync<T>(ManualTimeProvider clock, ValueTask<T> pending, TimeSpan step)
    {
        var task = pending.AsTask();
        for (var i = 0; i < 100_000 && !task.IsCompleted; i++)
        {
            clock.Advance(step);
            await Task.Yield();
        }
        return await task;
    }

    [Fact]
    public async Task A_start_the_call_would_miss_by_more_than_the_margin_absorbs_is_given_up_for_a_new_one()
    {
        var clock = new ManualTimeProvider();
        var t0 = clock.UtcNow;
        // The store's first answer comes 80 ms after the start it grants ("now"): a busy machine.
        var store = new LateAnsweringStore(new MemoryUpstreamKeyStore(), clock, TimeSpan.FromMilliseconds(80));
        var pool = Pool(OneKey(600), store, clock);
        var key = pool.Keys[0];
        // The upstream's answers said 20 requests per window against 600 a minute: a 2-second window, of which the 5 %
        // margin leaves 100 ms free, half of it for lateness.
        key.LearnWindow(20);
        Assert.Equal(TimeSpan.FromSeconds(2), key.UpstreamWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(50), pool.Tolerance(key));

        var lease = await DriveAsync(clock, pool.AcquireAsync(0, t0 + Deadline, 0, CancellationToken.None), TimeSpan.FromMilliseconds(1));

        // The missed start (t0) stays unused; the call takes the next one (spacing 105 ms) and leaves on time.
        Assert.Equal(2, store.Acquisitions);
        Assert.Equal(t0 + TimeSpan.FromMilliseconds(105), lease.Start);
        Assert.True(pool.IsOnTime(lease));
        Assert.False(pool.IsOnTime(lease with { Start = clock.UtcNow - TimeSpan.FromMilliseconds(51) }));
        Assert.True(pool.IsOnTime(lease with { Start = clock.UtcNow - TimeSpan.FromSeconds(5), IsPaced = false }));
    }

    [Fact]
    public async Task A_waiting_call_keeps_its_start_unless_the_upstream_pushed_the_key_back_meanwhile()
    {
        var clock = new ManualTimeProvider();
        var t0 = clock.UtcNow;
        var store = new MemoryUpstreamKeyStore();
        var pool = Pool(OneKey(60), store, clock);
        var spacing = UpstreamKeyPool.SpacingOf(60, 0.05);

        var first = await pool.AcquireAsync(0, t0 + Deadline, 0, CancellationToken.None);
        Assert.Equal(t0, first.Start);
        var second = pool.AcquireAsync(0, t0 + Deadline, 0, CancellationToken.None);
        var third = pool.AcquireAsync(0, t0 + Deadline, 0, CancellationToken.None);
        // The upstream's headers say the key must wait until t0 + 1.5 s: the second call's start (t0 + 1.05 s) no longer
        // stands; the third's (t0 + 2.1 s) does.
        await store.DelayAsync(pool.Keys[0].GrainKey, t0 + TimeSpan.FromSeconds(1.5));

        var secondLease = await DriveAsync(clock, second, TimeSpan.FromMilliseconds(1));
        var thirdLease = await DriveAsync(clock, third, TimeSpan.FromMilliseconds(1));

        Assert.Equal(t0 + 2 * spacing, thirdLease.Start);
        Assert.Equal(t0 + 3 * spacing, secondLease.Start);
    }

    [Fact]
    public async Task A_slow_pacing_store_is_waited_for_and_a_call_never_goes_unpaced_beside_a_start_it_may_hold()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var services = RedisConnections.Connect(redis.ConnectionString);
        var store = new RedisUpstreamKeyStore(services.GetRequiredService<IRedisConnection>());
        var options = OneKey(60_000);
        options.Pool.StoreTimeout = TimeSpan.FromMilliseconds(200);
        var pool = Pool(options, store, TimeProvider.System);
        Assert.True((await pool.AcquireAsync(0, DateTimeOffset.UtcNow + Deadline, 0, CancellationToken.None)).IsPaced);

        await redis.ExecuteAsync(default, "CLIENT", "PAUSE", "1000", "ALL");
        var paused = Stopwatch.StartNew();
        var lease = await pool.AcquireAsync(0, DateTimeOffset.UtcNow + Deadline, 0, CancellationToken.None);

        Assert.True(lease.IsPaced);
        Assert.True(paused.Elapsed >= TimeSpan.FromMilliseconds(900), $"answered after {paused.Elapsed}");
    }

    [Fact]
    public async Task A_pacing_store_that_cannot_be_reached_lets_a_call_go_unpaced_at_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var services = RedisConnections.Connect(redis.ConnectionString);
        var connection = services.GetRequiredService<IRedisConnection>();
        var pool = Pool(OneKey(60_000), new RedisUpstreamKeyStore(connection), TimeProvider.System);
        Assert.True((await pool.AcquireAsync(0, DateTimeOffset.UtcNow + Deadline, 0, CancellationToken.None)).IsPaced);
        var multiplexer = await connection.GetMultiplexerAsync();

        redis.Kill();
        var waited = Stopwatch.StartNew();
        while (multiplexer.IsConnected)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "The multiplexer did not notice that Redis is gone.");
            await Task.Delay(20);
        }
        var asked = Stopwatch.StartNew();
        var lease = await pool.AcquireAsync(0, DateTimeOffset.UtcNow + Deadline, 0, CancellationToken.None);

        Assert.False(lease.IsPaced);
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(3), $"took {asked.Elapsed}");
    }
}
