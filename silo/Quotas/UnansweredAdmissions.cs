using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Grains.Redis;
using Parley.Silo.Quotas.Alerts;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Quotas;

/// <summary>Takes back admissions whose answer did not come in time. The gate has refused such a request (503) without
/// knowing whether the script counted it, or will still: Redis was up, only slow, or the connection failed after the
/// command was sent. In the background this waits for the admission's own outcome (the multiplexer answers or fails
/// every command within its timeout), and when it admitted, or its outcome stays unknown, releases its reservation id:
/// queued behind the admission on the same connection, the release gives back what the admission took, or marks the
/// id so that an admission still on its way refuses itself. A release that cannot reach Redis is retried until the
/// reservation would have expired anyway.</summary>
internal sealed partial class UnansweredAdmissions(
    IQuotaLedger ledger,
    QuotaAlertDispatcher alerts,
    IOptions<QuotaOptions> options,
    TimeProvider timeProvider,
    ILogger<UnansweredAdmissions> logger)
{
    /// <summary>How long a release waits before it tries again while Redis cannot be reached.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private int _pending;

    /// <summary>Releases still under way (for tests and the shutdown log).</summary>
    public int Pending => Volatile.Read(ref _pending);

    public void Release(Task<AdmissionResult> admission, AdmissionRequest request)
    {
        Interlocked.Increment(ref _pending);
        _ = ReleaseAsync(admission, request);
    }

    private async Task ReleaseAsync(Task<AdmissionResult> admission, AdmissionRequest request)
    {
        try
        {
            if (!await NeedsReleaseAsync(admission, request).ConfigureAwait(false))
            {
                return;
            }
            var release = new ReleaseRequest(request.UserId, request.KeyId, request.ReservationId, timeProvider.GetUtcNow(), request.ReservationTtl);
            var expires = request.Now + request.ReservationTtl;
            while (true)
            {
                try
                {
                    var tookBack = await ledger.ReleaseAsync(release with { Now = timeProvider.GetUtcNow() })
                        .WaitAsync(options.Value.StoreTimeout, timeProvider).ConfigureAwait(false);
                    LogReleased(logger, request.UserId, request.ReservationId, tookBack);
                    return;
                }
                catch (Exception e) when (RedisFailures.IsUnavailable(e))
                {
                    // Idempotent: a release whose own answer was lost is simply sent again.
                    if (timeProvider.GetUtcNow() + RetryDelay >= expires)
                    {
                        LogGivenUp(logger, request.UserId, request.ReservationId, e);
                        return;
                    }
                    await Task.Delay(RetryDelay, timeProvider).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogGivenUp(logger, request.UserId, request.ReservationId, e);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>False when the admission certainly counted nothing: it refused, it never ran, or it found its id
    /// released already.</summary>
    private async Task<bool> NeedsReleaseAsync(Task<AdmissionResult> admission, AdmissionRequest request)
    {
        try
        {
            var result = await admission.WaitAsync(request.ReservationTtl, timeProvider).ConfigureAwait(false);
            // Thresholds it crossed are marked as reported in the ledger: report them, or nobody ever will.
            foreach (var alert in result.Alerts)
            {
                alerts.Publish(alert);
            }
            return result.Admitted;
        }
        catch (Exception e) when (RedisFailures.NeverApplied(e) || e is ReleasedReservationException)
        {
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Released reservation {ReservationId} of user {UserId}, whose admission was not answered in time (taken back: {TookBack})")]
    private static partial void LogReleased(ILogger logger, [PseudonymousId] string userId, string reservationId, bool tookBack);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release reservation {ReservationId} of user {UserId}, whose admission was not answered in time; it expires with its TTL, and its place in the minute window with the window")]
    private static partial void LogGivenUp(ILogger logger, [PseudonymousId] string userId, string reservationId, Exception exception);
}
