using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.Reminders;
using Parley.GrainInterfaces.Batches;

namespace Parley.Grains.Batches;

/// <summary>One batch of the Batch API. While it runs, a grain timer (kept alive by Orleans) starts its lines at a
/// bounded rate through <see cref="IBatchLineExecutor"/> (the silo's own chat completion path), and a reminder wakes it
/// on another silo if its silo dies. Each line is recorded as started in the batch's log before it is sent and its
/// result appended once answered; a line found started without a result when the batch is activated again (its silo
/// died while the line was in flight) is never sent again: it is reported in the error file as
/// <c>line_interrupted</c>. So every line is sent upstream at most once and gets exactly one entry in the output or
/// error file. See docs/batch.md.</summary>
[GrainType(GrainTypeName)]
public sealed partial class BatchGrain(
    [PersistentState("batch", GrainStorage.Name)] IPersistentState<BatchState> state,
    IBatchFileStore files,
    IBatchProgressStore progress,
    IBatchLineExecutor executor,
    IOptions<BatchOptions> options,
    TimeProvider time,
    ILogger<BatchGrain> logger) : Grain, IBatchGrain, IRemindable
{
    public const string GrainTypeName = "batch";
    public const string ReminderName = "run";

    /// <summary>How often the timer looks for lines to start (and the rate's granularity).</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    /// <summary>This activation's name in the log: a start recorded by another name was another activation's.</summary>
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly Dictionary<int, Task> _inFlight = [];
    private readonly HashSet<int> _settled = [];
    private readonly PriorityQueue<int, DateTimeOffset> _retries = new();
    private IReadOnlyList<BatchLine>? _lines;
    private int _nextLine;
    private int _completed;
    private int _failed;
    private DateTimeOffset _nextStart;
    private IGrainTimer? _timer;

    private string Id => this.GetPrimaryKeyString();

    private BatchOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Exists && !BatchStatuses.IsFinal(state.State.Status))
        {
            StartTimer();
        }
        return base.OnActivateAsync(cancellationToken);
    }

    /// <summary>A deactivation (the silo shutting down, or the grain moved) lets the lines in flight finish, so a graceful
    /// stop leaves no line in doubt; only a crash does.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _timer = null;
        if (_inFlight.Count > 0)
        {
            await Task.WhenAll(_inFlight.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private bool Exists => state.State.OwnerUserId.Length > 0;

    public async Task<BatchInfo?> CreateAsync(BatchCreation creation)
    {
        if (Exists)
        {
            return null;
        }
        var now = time.GetUtcNow();
        state.State = new BatchState
        {
            OwnerUserId = creation.UserId,
            KeyId = creation.KeyId,
            InputFileId = creation.InputFileId,
            Endpoint = creation.Endpoint,
            CompletionWindow = creation.CompletionWindow,
            Metadata = creation.Metadata is null ? null : new Dictionary<string, string>(creation.Metadata),
            Status = BatchStatuses.Validating,
            CreatedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = (now + BatchOptions.CompletionWindow).ToUnixTimeSeconds(),
        };
        await state.WriteStateAsync();
        await progress.AddToIndexAsync(creation.UserId, Id, now.ToUnixTimeMilliseconds());
        await this.RegisterOrUpdateReminder(ReminderName, Options.ReminderPeriod, Options.ReminderPeriod);
        LogCreated(logger, Id, creation.InputFileId);
        StartTimer();
        return ToInfo();
    }

    public Task<BatchInfo?> GetAsync(string userId)
        => Task.FromResult(Exists && state.State.OwnerUserId == userId ? ToInfo() : null);

    public async Task<BatchInfo?> CancelAsync(string userId)
    {
        if (!Exists || state.State.OwnerUserId != userId)
        {
            return null;
        }
        var s = state.State;
        if (s.Status is BatchStatuses.Validating or BatchStatuses.InProgress)
        {
            s.Status = BatchStatuses.Cancelling;
            s.CancellingAt = time.GetUtcNow().ToUnixTimeSeconds();
            await state.WriteStateAsync();
            LogCancelling(logger, Id, _inFlight.Count);
        }
        return ToInfo();
    }

    public Task<(BatchInfo? Batch, string Silo)> InspectAsync() => Task.FromResult((Exists ? ToInfo() : null, RuntimeIdentity));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Being activated is the point: OnActivateAsync started the timer. A finished batch needs no more wake-ups.
        if (!Exists || BatchStatuses.IsFinal(state.State.Status))
        {
            await StopReminderAsync();
        }
    }

    private void StartTimer()
        => _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Tick, KeepAlive = true });

    private BatchInfo ToInfo()
    {
        var s = state.State;
        var running = !BatchStatuses.IsFinal(s.Status) && _lines is not null;
        return new BatchInfo
        {
            Id = Id,
            Endpoint = s.Endpoint,
            InputFileId = s.InputFileId,
            CompletionWindow = s.CompletionWindow,
            Status = s.Status,
            OutputFileId = s.OutputFileId,
            ErrorFileId = s.ErrorFileId,
            CreatedAt = s.CreatedAt,
            InProgressAt = s.InProgressAt,
            ExpiresAt = s.ExpiresAt,
            FinalizingAt = s.FinalizingAt,
            CompletedAt = s.CompletedAt,
            FailedAt = s.FailedAt,
            ExpiredAt = s.ExpiredAt,
            CancellingAt = s.CancellingAt,
            CancelledAt = s.CancelledAt,
            RequestCounts = running ? new BatchRequestCounts(s.Total, _completed, _failed) : new BatchRequestCounts(s.Total, s.Completed, s.Failed),
            Metadata = s.Metadata,
            Errors = s.Errors,
        };
    }

    private Task StopReminderAsync() => this.StopReminderAsync(ReminderName);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Batch {BatchId} created from file {FileId}")]
    private static partial void LogCreated(ILogger logger, string batchId, string fileId);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Batch {BatchId} cancelling with {InFlight} line(s) in flight")]
    private static partial void LogCancelling(ILogger logger, string batchId, int inFlight);
}
