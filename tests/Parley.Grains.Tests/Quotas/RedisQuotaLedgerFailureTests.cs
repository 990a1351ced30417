using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Grains.Redis;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Grains.Tests.Quotas;

/// <summary>How a decision's failure looks to the caller, against a real redis-server made slow (<c>CLIENT PAUSE</c>)
/// or killed: a slow answer is an answer that comes late and counts once; giving up on it leaves an outcome that is
/// unknown (and a release that takes it back, whatever it was); only a command that was never sent is an outage after
/// which another decision may be made.</summary>
public sealed class RedisQuotaLedgerFailureTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly QuotaLimits Limits = new(RequestsPerMinute: 10, TokensPerDay: 1000);

    private static RedisConnection Connect(RedisServer server)
        => new(Options.Create(new RedisOptions { ConnectionString = server.ConnectionString, KeyPrefix = "t" + Guid.NewGuid().ToString("N") }),
            NullLogger<RedisConnection>.Instance);

    private static AdmissionRequest Admission(string id) => new("u1", "", id, Limits, null, 10, 0, T0, TimeSpan.FromMinutes(10));

    [Fact]
    public async Task A_slow_answer_counts_once_and_a_caller_that_gave_up_can_take_it_back()
    {
        await using var server = await RedisServer.StartAsync();
        await using var connection = Connect(server);
        var ledger = new RedisQuotaLedger(connection);
        Assert.True((await ledger.AdmitAsync(Admission("warm"))).Admitted);

        // Every client waits while Redis is paused: the admission is sent and not answered.
        await server.ExecuteAsync(default, "CLIENT", "PAUSE", "1500", "ALL");
        var admission = ledger.AdmitAsync(Admission("slow"));
        var gaveUp = await Assert.ThrowsAsync<TimeoutException>(() => admission.WaitAsync(TimeSpan.FromMilliseconds(100)));
        Assert.True(RedisFailures.OutcomeUnknown(gaveUp));
        Assert.False(RedisFailures.NeverApplied(gaveUp));

        // The answer still comes, and the admission counted exactly once.
        Assert.True((await admission).Admitted);
        Assert.Equal(2, (await ledger.GetUsageAsync("u1", null, T0)).RequestsLastMinute);

        // The caller that gave up releases it: queued behind the admission, the release takes it back.
        Assert.True(await ledger.ReleaseAsync(new ReleaseRequest("u1", "", "slow", T0, TimeSpan.FromMinutes(10))));
        var usage = await ledger.GetUsageAsync("u1", null, T0);
        Assert.Equal((1L, 10L), (usage.RequestsLastMinute, usage.TokensToday));
    }

    [Fact]
    public async Task A_command_in_flight_when_redis_dies_has_an_unknown_outcome()
    {
        await using var server = await RedisServer.StartAsync();
        await using var connection = Connect(server);
        var ledger = new RedisQuotaLedger(connection);
        Assert.True((await ledger.AdmitAsync(Admission("warm"))).Admitted);

        var multiplexer = (ConnectionMultiplexer)await connection.GetMultiplexerAsync();
        await server.ExecuteAsync(default, "CLIENT", "PAUSE", "5000", "ALL");
        var admission = ledger.AdmitAsync(Admission("in-flight"));
        // Written to the socket, not answered: only then does Redis die.
        await WaitUntilAsync(() => multiplexer.GetCounters().Interactive.SentItemsAwaitingResponse > 0, "the admission is sent");
        server.Kill();

        var failure = await Assert.ThrowsAnyAsync<RedisException>(() => admission);
        Assert.True(RedisFailures.OutcomeUnknown(failure), failure.ToString());
        Assert.False(RedisFailures.NeverApplied(failure));
    }

    [Fact]
    public async Task With_redis_gone_nothing_is_sent_and_the_failure_says_so_at_once()
    {
        await using var server = await RedisServer.StartAsync();
        await using var connection = Connect(server);
        var ledger = new RedisQuotaLedger(connection);
        Assert.True((await ledger.AdmitAsync(Admission("warm"))).Admitted);
        var multiplexer = await connection.GetMultiplexerAsync();

        server.Kill();
        // The multiplexer notices the closed socket on its own; only its notice can be waited for.
        await WaitUntilAsync(() => !multiplexer.IsConnected, "the multiplexer notices that Redis died");

        var sent = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RedisConnectionException>(() => ledger.AdmitAsync(Admission("after")));
        Assert.True(RedisFailures.NeverApplied(failure));
        Assert.False(RedisFailures.OutcomeUnknown(failure));
        Assert.Equal(CommandStatus.WaitingToBeSent, failure.CommandStatus);
        // Not queued in the backlog until a timeout: refused before anything was sent.
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(3), $"took {sent.Elapsed}");
    }

    /// <summary>Bounded polling of what only the multiplexer knows.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }

    [Theory]
    [InlineData(RedisErrorKind.Loading, "LOADING Redis is loading the dataset in memory", true)]
    [InlineData(RedisErrorKind.Busy, "BUSY Redis is busy running a script.", true)]
    [InlineData(RedisErrorKind.OutOfMemory, "OOM command not allowed when used memory > 'maxmemory'.", true)]
    [InlineData(RedisErrorKind.UnknownError, "ERR user_script:1: attempt to compare nil with number", false)]
    public void A_server_error_is_an_outage_only_when_redis_refused_before_running_the_command(RedisErrorKind kind, string message, bool neverApplied)
    {
        var error = new RedisServerException(kind, CommandFlags.None, message);
        Assert.Equal(neverApplied, RedisFailures.NeverApplied(error));
        Assert.Equal(!neverApplied, RedisFailures.OutcomeUnknown(error));
    }
}
