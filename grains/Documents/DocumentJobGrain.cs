using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.Reminders;
using Parley.GrainInterfaces.Documents;
using Parley.Grains.Batches;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Documents;

/// <summary>One long-document job. Its activation runs the job (<see cref="DocumentJobRun"/>) off the grain's scheduler
/// and answers polls with the live progress; a grain timer keeps it alive while the job runs and starts a run again
/// after one stopped short (storage unreachable), and a reminder wakes the job on another silo if its silo dies, where
/// a new run reuses every call the log shows answered. See docs/documents.md.</summary>
[GrainType(GrainTypeName)]
public sealed partial class DocumentJobGrain(
    [PersistentState("document-job", GrainStorage.Name)] IPersistentState<DocumentJobState> state,
    IBatchFileStore files,
    IBatchProgressStore log,
    IBatchLineExecutor executor,
    IOptions<BatchOptions> options,
    TimeProvider time,
    ILogger<DocumentJobGrain> logger) : Grain, IDocumentJobGrain, IRemindable
{
    public const string GrainTypeName = "document-job";
    public const string ReminderName = "run";

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private DocumentJobRun? _run;
    private Task? _running;
    private IGrainTimer? _timer;

    private string Id => this.GetPrimaryKeyString();

    private bool Exists => state.State.OwnerUserId.Length > 0;

    /// <summary>The index of a user's document jobs, kept in the batch log's index under a name of its own.</summary>
    public static string IndexOwner(string userId) => "document-jobs/" + userId;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Exists && !DocumentJobStatuses.IsFinal(state.State.Status))
        {
            StartTimer();
        }
        return base.OnActivateAsync(cancellationToken);
    }

    /// <summary>A deactivation (the silo shutting down, or the grain moved) lets the calls in flight finish and records
    /// them, so a graceful stop sends nothing twice; only a crash can.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _timer = null;
        if (_run is not null && _running is not null)
        {
            _run.Drain();
            await _running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task<DocumentJobInfo?> CreateAsync(DocumentJobCreation creation)
    {
        if (Exists)
        {
            return null;
        }
        var now = time.GetUtcNow();
        state.State = new DocumentJobState
        {
            OwnerUserId = creation.UserId,
            KeyId = creation.KeyId,
            Model = creation.Model,
            Task = creation.Task,
            InputFileId = creation.InputFileId,
            MapInstruction = creation.MapInstruction,
            ReduceInstruction = creation.ReduceInstruction,
            ContextWindow = creation.ContextWindow,
            Encoding = creation.Encoding,
            MaxOutputTokens = creation.MaxOutputTokens,
            ChunkTokens = creation.ChunkTokens,
            OverlapTokens = creation.OverlapTokens,
            Concurrency = creation.Concurrency,
            Metadata = creation.Metadata is null ? null : new Dictionary<string, string>(creation.Metadata),
            Status = DocumentJobStatuses.Queued,
            CreatedAt = now.ToUnixTimeSeconds(),
        };
        await state.WriteStateAsync();
        await log.AddToIndexAsync(IndexOwner(creation.UserId), Id, now.ToUnixTimeMilliseconds());
        await this.RegisterOrUpdateReminder(ReminderName, options.Value.ReminderPeriod, options.Value.ReminderPeriod);
        LogCreated(logger, Id, creation.Model, creation.Task);
        StartTimer();
        return ToInfo();
    }

    public Task<DocumentJobInfo?> GetAsync(string userId)
        => Task.FromResult(Exists && state.State.OwnerUserId == userId ? ToInfo() : null);

    public async Task<DocumentJobInfo?> CancelAsync(string userId)
    {
        if (!Exists || state.State.OwnerUserId != userId)
        {
            return null;
        }
        var s = state.State;
        if (s.Status is DocumentJobStatuses.Queued or DocumentJobStatuses.InProgress)
        {
            s.Status = DocumentJobStatuses.Cancelling;
            await state.WriteStateAsync();
            if (_run is null)
            {
                await EndAsync(DocumentJobStatuses.Cancelled);
            }
            else
            {
                _run.Cancel();
            }
        }
        return ToInfo();
    }

    public Task<(DocumentJobInfo? Job, string Silo)> InspectAsync() => Task.FromResult((Exists ? ToInfo() : null, RuntimeIdentity));

    public async Task FinishRunAsync(DocumentRunOutcome outcome)
    {
        if (_run is null || outcome.Run != _run.Run)
        {
            return;
        }
        _run = null;
        _running = null;
        var s = state.State;
        s.Chunks = outcome.Chunks;
        (s.Calls, s.PromptTokens, s.CompletionTokens) = (outcome.Usage.Calls, outcome.Usage.PromptTokens, outcome.Usage.CompletionTokens);
        if (s.Status == DocumentJobStatuses.Cancelling)
        {
            await EndAsync(DocumentJobStatuses.Cancelled);
        }
        else if (outcome.Error is { } error)
        {
            (s.ErrorCode, s.ErrorMessage) = (error.Code, error.Message);
            LogFailed(logger, Id, error.Code, error.Message);
            await EndAsync(DocumentJobStatuses.Failed);
        }
        else if (outcome.Output is { } output)
        {
            s.Output = output;
            s.ReduceLevels = outcome.ReduceLevels;
            LogCompleted(logger, Id, s.Chunks, s.Calls);
            await EndAsync(DocumentJobStatuses.Completed);
        }
        // Else the run stopped short: the next tick starts another.
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Being activated is the point: OnActivateAsync started the timer. A finished job needs no more wake-ups.
        if (!Exists || DocumentJobStatuses.IsFinal(state.State.Status))
        {
            await StopReminderAsync();
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var s = state.State;
        if (!Exists || DocumentJobStatuses.IsFinal(s.Status))
        {
            StopTimer();
            return;
        }
        try
        {
            if (s.Status == DocumentJobStatuses.Cancelling && _run is null)
            {
                await EndAsync(DocumentJobStatuses.Cancelled);
            }
            else if (s.Status is DocumentJobStatuses.Queued or DocumentJobStatuses.InProgress && _run is null)
            {
                await StartRunAsync();
            }
            else if (_run is { } run && run.Progress.Stage != s.Stage | run.Progress.Level != s.Level)
            {
                // Written once per stage, so that a poll after a crash shows where the job was.
                (s.Stage, s.Level, s.StageCompleted, s.StageTotal, s.Chunks) = (run.Progress.Stage, run.Progress.Level, run.Progress.Completed, run.Progress.Total, run.Chunks);
                await state.WriteStateAsync();
            }
        }
        catch (InconsistentStateException e)
        {
            // Another activation wrote the state: this one's copy is stale. Read it again; the next tick goes on from there.
            LogTickFailed(logger, Id, RedactedException.Of(e));
            await state.ReadStateAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Storage unreachable and the like: the next tick tries again.
            LogTickFailed(logger, Id, RedactedException.Of(e));
        }
    }

    private async Task StartRunAsync()
    {
        var s = state.State;
        s.Runs++;
        if (s.Status == DocumentJobStatuses.Queued)
        {
            s.Status = DocumentJobStatuses.InProgress;
            s.InProgressAt = time.GetUtcNow().ToUnixTimeSeconds();
        }
        await state.WriteStateAsync();
        var settings = Copy(s);
        var run = _run = new DocumentJobRun(Id, s.Runs, settings, files, log, executor, time, logger);
        var self = this.AsReference<IDocumentJobGrain>();
        // Off the grain's scheduler: the pipeline's calls run in parallel, and polls are answered meanwhile.
        _running = Task.Run(() => run.RunAndReportAsync(self));
    }

    private async Task EndAsync(string status)
    {
        var s = state.State;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        s.Status = status;
        switch (status)
        {
            case DocumentJobStatuses.Completed:
                s.CompletedAt = now;
                break;
            case DocumentJobStatuses.Failed:
                s.FailedAt = now;
                break;
            default:
                s.CancelledAt = now;
                break;
        }
        if (status == DocumentJobStatuses.Completed)
        {
            (s.Stage, s.Level, s.StageCompleted, s.StageTotal) = (s.ReduceLevels > 0 ? "reduce" : "map", s.ReduceLevels, 1, 1);
        }
        await state.WriteStateAsync();
        StopTimer();
        await StopReminderAsync();
    }

    private void StartTimer()
        => _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Tick, KeepAlive = true });

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private Task StopReminderAsync() => this.StopReminderAsync(ReminderName);

    private DocumentJobInfo ToInfo()
    {
        var s = state.State;
        var run = _run;
        return new DocumentJobInfo
        {
            Id = Id,
            Model = s.Model,
            Task = s.Task,
            Status = s.Status,
            InputFileId = s.InputFileId,
            CreatedAt = s.CreatedAt,
            InProgressAt = s.InProgressAt,
            CompletedAt = s.CompletedAt,
            FailedAt = s.FailedAt,
            CancelledAt = s.CancelledAt,
            Progress = run?.Progress ?? (s.Stage is null ? DocumentJobProgress.None : new DocumentJobProgress(s.Stage, s.Level, s.StageCompleted, s.StageTotal)),
            Chunks = run?.Chunks ?? s.Chunks,
            ReduceLevels = s.ReduceLevels,
            Usage = run?.Usage ?? new DocumentJobUsage(s.Calls, s.PromptTokens, s.CompletionTokens),
            Output = s.Output,
            Error = s.ErrorCode is null ? null : new DocumentJobError(s.ErrorCode, s.ErrorMessage ?? ""),
            Metadata = s.Metadata,
        };
    }

    private static DocumentJobState Copy(DocumentJobState s) => new()
    {
        OwnerUserId = s.OwnerUserId,
        KeyId = s.KeyId,
        Model = s.Model,
        InputFileId = s.InputFileId,
        MapInstruction = s.MapInstruction,
        ReduceInstruction = s.ReduceInstruction,
        ContextWindow = s.ContextWindow,
        Encoding = s.Encoding,
        MaxOutputTokens = s.MaxOutputTokens,
        ChunkTokens = s.ChunkTokens,
        OverlapTokens = s.OverlapTokens,
        Concurrency = s.Concurrency,
    };

    [LoggerMessage(EventId = 9111, Level = LogLevel.Information, Message = "Document job {JobId} created ({Model}, {Task})")]
    private static partial void LogCreated(ILogger logger, string jobId, string model, string task);

    [LoggerMessage(EventId = 9112, Level = LogLevel.Information, Message = "Document job {JobId} completed: {Chunks} chunks, {Calls} calls")]
    private static partial void LogCompleted(ILogger logger, string jobId, int chunks, int calls);

    [LoggerMessage(EventId = 9113, Level = LogLevel.Warning, Message = "Document job {JobId} failed: {Code}: {Message}")]
    private static partial void LogFailed(ILogger logger, string jobId, string code, [UserContent] string message);

    [LoggerMessage(EventId = 9114, Level = LogLevel.Warning, Message = "Document job {JobId}: a tick failed; the next one tries again")]
    private static partial void LogTickFailed(ILogger logger, string jobId, Exception exception);

}
