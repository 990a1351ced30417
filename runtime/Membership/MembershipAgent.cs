using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Membership;

/// <summary>The silo's membership: once the web server listens it inserts its row (Joining, then Active), renews its
/// IAmAlive every <see cref="MembershipOptions.IAmAlivePeriod"/>, re-reads the table every
/// <see cref="MembershipOptions.RefreshPeriod"/> to publish the live silos and to mark stale silos Dead, and on
/// shutdown leaves gracefully (ShuttingDown when the host starts stopping, so front ends stop routing to it; Dead when
/// it has stopped). It reports itself unhealthy when it has not renewed its row within the death timeout, because
/// other silos then already treat it as dead.</summary>
internal sealed partial class MembershipAgent : IHostedLifecycleService, IClusterMembership, ILocalSiloMembership, IAsyncDisposable
{
    /// <summary>Wait between attempts when the table cannot be reached at all (a conflict retries at once).</summary>
    public static readonly TimeSpan ErrorRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Dead rows older than this are deleted when a silo joins, so restarts do not grow the table forever.</summary>
    public static readonly TimeSpan DefunctRowRetention = TimeSpan.FromHours(1);

    private readonly IMembershipTable _table;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly MembershipLog _log;
    private readonly MembershipView _view;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _statusLock = new(1, 1);
    private volatile Task _run = Task.CompletedTask;
    private volatile MembershipEntry? _self;
    private long _lastRenewal;
    private volatile bool _joined;
    private volatile bool _leaving;
    private int _reportedUnhealthy;

    public MembershipAgent(IMembershipTable table, IOptions<MembershipOptions> options, TimeProvider time,
        IServiceProvider services, ILogger<MembershipAgent> logger)
    {
        _table = table;
        _options = options.Value;
        _time = time;
        _services = services;
        _lifetime = services.GetService(typeof(IHostApplicationLifetime)) as IHostApplicationLifetime;
        _log = new MembershipLog(logger);
        _view = new MembershipView(_log);
    }

    public IReadOnlyList<MembershipEntry> LiveSilos => _view.LiveSilos;

    public Task WaitForChangeAsync(CancellationToken cancellationToken) => _view.WaitForChangeAsync(cancellationToken);

    public MembershipEntry? Self => _self;

    public bool IsHealthy
    {
        get
        {
            if (!_joined || _self is not { } self || self.Status == SiloStatus.Dead)
            {
                return false;
            }
            var since = _time.GetElapsedTime(Interlocked.Read(ref _lastRenewal));
            if (since <= _options.DeathTimeout)
            {
                Volatile.Write(ref _reportedUnhealthy, 0);
                return true;
            }
            if (Interlocked.Exchange(ref _reportedUnhealthy, 1) == 0)
            {
                _log.Unhealthy(self.SiloId, since);
            }
            return false;
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Joining needs the server's address, which exists only once the server listens.
        _lifetime?.ApplicationStarted.Register(() => _run = RunAsync(_stop.Token));
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _leaving = true;
        if (_joined)
        {
            await TryLeaveAsync(SiloStatus.ShuttingDown, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _leaving = true;
        await StopLoopsAsync().ConfigureAwait(false);
        if (_joined)
        {
            await TryLeaveAsync(SiloStatus.Dead, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync().ConfigureAwait(false);
        _stop.Dispose();
        _statusLock.Dispose();
    }

    /// <summary>Joins at <paramref name="address"/>: inserts the row as Joining, then makes it Active.</summary>
    internal async Task JoinAsync(Uri address, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        _self ??= new MembershipEntry(SiloAddressResolver.SiloId(address, now), SiloAddressResolver.Format(address),
            SiloStatus.Created, Environment.MachineName, now, now);
        await _table.InitializeMembershipTable(true, cancellationToken).ConfigureAwait(false);
        await ChangeStatusAsync(SiloStatus.Joining, cancellationToken).ConfigureAwait(false);
        await ChangeStatusAsync(SiloStatus.Active, cancellationToken).ConfigureAwait(false);
        _joined = true;
        await _table.CleanupDefunctSiloEntries(now - DefunctRowRetention, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renews this silo's IAmAlive; joins again if its row has disappeared.</summary>
    internal async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        // Heartbeats go on while leaving (the row says ShuttingDown), so no one declares a draining silo dead.
        if (_self is not { } self || !_joined)
        {
            return;
        }
        try
        {
            await _table.UpdateIAmAlive(self with { IAmAliveTime = _time.GetUtcNow() }, cancellationToken).ConfigureAwait(false);
            MarkRenewed();
        }
        catch (SiloRowNotFoundException) when (!_leaving)
        {
            _log.Rejoining(self.SiloId, "its row is missing from the table");
            await ChangeStatusAsync(SiloStatus.Active, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Re-reads the table: publishes the live silos, revives this silo's row if others declared it dead or it
    /// disappeared, and marks silos whose IAmAlive is older than the death timeout Dead.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        // Captured before the read: a join that completes during the read must not look like a missing row.
        var joined = _joined;
        var data = await _table.ReadAll(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        _view.Update(data, now, _options.DeathTimeout);
        if (_self is not { } self || !joined)
        {
            return;
        }
        var own = data.Members.FirstOrDefault(m => m.Entry.SiloId == self.SiloId).Entry;
        if (!_leaving && (own is null || own.Status == SiloStatus.Dead))
        {
            _log.Rejoining(self.SiloId, own is null ? "its row is missing from the table" : "another silo declared it dead");
            await ChangeStatusAsync(SiloStatus.Active, cancellationToken).ConfigureAwait(false);
            return;
        }
        // A silo that cannot renew its own row may be the one cut off; it must not judge others.
        if (!IsHealthy)
        {
            return;
        }
        foreach (var (entry, _) in data.Members)
        {
            if (entry.SiloId != self.SiloId && entry.Status != SiloStatus.Dead && now - entry.IAmAliveTime > _options.DeathTimeout)
            {
                await TryDeclareDeadAsync(entry.SiloId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task TryDeclareDeadAsync(string siloId, CancellationToken cancellationToken)
    {
        // Re-read the row: the snapshot's version is stale after the first change this refresh makes.
        var row = await _table.ReadRow(siloId, cancellationToken).ConfigureAwait(false);
        if (row.Members is not [var (entry, etag)] || entry.Status == SiloStatus.Dead
            || _time.GetUtcNow() - entry.IAmAliveTime <= _options.DeathTimeout)
        {
            return;
        }
        // A conflict means the table moved on; the next refresh looks again.
        if (await _table.UpdateRow(entry with { Status = SiloStatus.Dead }, etag, row.Version.Next(), cancellationToken).ConfigureAwait(false))
        {
            _log.DeclaredDead(siloId, entry.IAmAliveTime);
        }
    }

    /// <summary>Writes this silo's row with <paramref name="status"/> by compare-and-set, re-reading and retrying on
    /// every conflict (each conflict means another writer succeeded, so the cluster as a whole makes progress).</summary>
    private async Task ChangeStatusAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        var self = _self ?? throw new InvalidOperationException("The silo has no identity yet.");
        await _statusLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var data = await _table.ReadRow(self.SiloId, cancellationToken).ConfigureAwait(false);
                var entry = self with { Status = status, IAmAliveTime = _time.GetUtcNow() };
                var written = data.Members is [var (_, etag)]
                    ? await _table.UpdateRow(entry, etag, data.Version.Next(), cancellationToken).ConfigureAwait(false)
                    : await _table.InsertRow(entry, data.Version.Next(), cancellationToken).ConfigureAwait(false);
                if (written)
                {
                    _self = entry;
                    MarkRenewed();
                    _log.StatusChanged(entry.SiloId, status);
                    return;
                }
            }
        }
        finally
        {
            _statusLock.Release();
        }
    }

    private async Task TryLeaveAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        try
        {
            await ChangeStatusAsync(status, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _log.LeaveFailed(_self?.SiloId ?? "(unknown)", status, ex);
        }
    }

    private void MarkRenewed() => Interlocked.Exchange(ref _lastRenewal, _time.GetTimestamp());

    private async Task StopLoopsAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
