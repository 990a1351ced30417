using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Batches;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Batches;

/// <summary>The batch's run: validation, starting lines at the configured rate, settling, finalizing.</summary>
public sealed partial class BatchGrain
{
    /// <summary>Attempts at appending a line's result before it is left to be settled as interrupted.</summary>
    private const int SettleAttempts = 10;

    /// <summary>Lines another activation started or settled (seen only while two activations briefly coexist).</summary>
    private readonly HashSet<int> _elsewhere = [];

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            StopTimer();
            return;
        }
        try
        {
            switch (state.State.Status)
            {
                case BatchStatuses.Validating:
                    await ValidateAsync();
                    break;
                case BatchStatuses.InProgress:
                    await RunAsync();
                    break;
                case BatchStatuses.Cancelling:
                    if (await LoadAsync() && _inFlight.Count == 0)
                    {
                        await FinalizeAsync(BatchStatuses.Cancelled);
                    }
                    break;
                case BatchStatuses.Finalizing:
                    await LoadAsync();
                    await FinalizeAsync(state.State.FinalStatus ?? BatchStatuses.Completed);
                    break;
                default:
                    StopTimer();
                    break;
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

    private async Task ValidateAsync()
    {
        var s = state.State;
        var (lines, errors) = await ReadInputAsync();
        if (errors.Count > 0)
        {
            s.Status = BatchStatuses.Failed;
            s.FailedAt = time.GetUtcNow().ToUnixTimeSeconds();
            s.Errors = [.. errors];
            await state.WriteStateAsync();
            LogFailedValidation(logger, Id, errors.Count);
            StopTimer();
            await StopReminderAsync();
            return;
        }
        _lines = lines;
        s.Total = lines.Count;
        s.Status = BatchStatuses.InProgress;
        s.InProgressAt = time.GetUtcNow().ToUnixTimeSeconds();
        await state.WriteStateAsync();
    }

    private async Task<(IReadOnlyList<BatchLine> Lines, IReadOnlyList<BatchError> Errors)> ReadInputAsync()
    {
        var s = state.State;
        var file = await files.GetAsync(s.InputFileId);
        var content = file is { Purpose: FilePurposes.Batch } && file.UserId == s.OwnerUserId ? await files.ReadContentAsync(s.InputFileId) : null;
        if (content is null)
        {
            return ([], [new BatchError("invalid_input_file", $"The input file '{s.InputFileId}' no longer exists.", "input_file_id", null)]);
        }
        return BatchInput.Parse(content, Options.MaxLines);
    }

    /// <summary>Reads the input and the log once per activation. A line the log shows started without a result was in
    /// flight on an activation that is gone: it may have reached the upstream, so it is settled as interrupted, never
    /// sent again. False when the input cannot be read (the cancelled batch then ends without lines).</summary>
    private async Task<bool> LoadAsync()
    {
        if (_lines is not null)
        {
            return true;
        }
        var (lines, errors) = await ReadInputAsync();
        var read = await progress.ReadAsync(Id);
        _lines = errors.Count == 0 ? lines : [];
        foreach (var (line, result) in read.Results)
        {
            _settled.Add(line);
            _ = result.Succeeded ? _completed++ : _failed++;
        }
        foreach (var line in read.Started.Keys)
        {
            if (line < _lines.Count && await progress.CompleteAsync(Id, new LineResult(line, false, Interrupted(line))))
            {
                _failed++;
                LogInterrupted(logger, Id, line);
            }
            _settled.Add(line);
        }
        return true;
    }

    private byte[] Interrupted(int line)
        => BatchOutput.Error(Id, line, _lines![line].CustomId, BatchOutput.InterruptedCode,
            "The silo running this line stopped while it was in flight; it may have reached the upstream, so it was not sent again.");

    private async Task RunAsync()
    {
        await LoadAsync();
        var now = time.GetUtcNow();
        if (now.ToUnixTimeSeconds() >= state.State.ExpiresAt)
        {
            // Past the completion window: nothing new starts; the lines in flight finish first.
            if (_inFlight.Count == 0)
            {
                await FinalizeAsync(BatchStatuses.Expired);
            }
            return;
        }
        StartDue(now);
        if (_inFlight.Count == 0 && _retries.Count == 0 && _settled.Count + _elsewhere.Count >= _lines!.Count && _nextLine >= _lines.Count)
        {
            await FinalizeAsync(BatchStatuses.Completed);
        }
    }

    /// <summary>Starts lines while the concurrency allows and the rate has credit (at most one tick's worth saved up).</summary>
    private void StartDue(DateTimeOffset now)
    {
        var interval = TimeSpan.FromSeconds(1 / Options.RequestsPerSecond);
        while (_inFlight.Count < Options.MaxConcurrency && _nextStart <= now && TryTakeLine(now, out var line))
        {
            _nextStart = (_nextStart < now - Tick ? now - Tick : _nextStart) + interval;
            var run = RunLineAsync(line);
            if (!run.IsCompleted)
            {
                _inFlight[line] = run;
            }
        }
    }

    private bool TryTakeLine(DateTimeOffset now, out int line)
    {
        if (_retries.TryPeek(out line, out var due) && due <= now)
        {
            _retries.Dequeue();
            return true;
        }
        while (_nextLine < _lines!.Count)
        {
            line = _nextLine++;
            if (!_settled.Contains(line))
            {
                return true;
            }
        }
        line = -1;
        return false;
    }

    private async Task RunLineAsync(int line)
    {
        var s = state.State;
        var batchLine = _lines![line];
        try
        {
            bool started;
            try
            {
                started = await progress.TryStartAsync(Id, line, _owner);
            }
            catch (Exception e)
            {
                // Not sent: whether or not the start was recorded, this activation may start it again (its own start).
                LogStoreFailed(logger, Id, line, RedactedException.Of(e));
                _retries.Enqueue(line, time.GetUtcNow() + Options.RetryDelay);
                return;
            }
            if (!started)
            {
                _elsewhere.Add(line);
                return;
            }
            BatchLineResult result;
            try
            {
                var request = new BatchLineRequest(Id, line, BatchOutput.RequestId(Id, line), s.OwnerUserId, s.KeyId, batchLine.Body);
                // Off the grain's scheduler: the chat path is the silo's, not this activation's.
                result = await Task.Run(() => executor.ExecuteAsync(request, CancellationToken.None));
            }
            catch (Exception e)
            {
                LogLineFailed(logger, Id, line, RedactedException.Of(e));
                await SettleAsync(line, false, BatchOutput.Error(Id, line, batchLine.CustomId, BatchOutput.FailedCode,
                    "The request failed inside Parley; it may have reached the upstream, so it was not sent again."));
                return;
            }
            if (result is { ReachedUpstream: false, Retryable: true })
            {
                // Refused before the upstream (the user's quota, the keys' pacing): taken back and tried again later.
                try
                {
                    await progress.ReleaseAsync(Id, line, _owner);
                }
                catch (Exception e)
                {
                    // The start stays this activation's own: it may start the line again.
                    LogStoreFailed(logger, Id, line, RedactedException.Of(e));
                }
                _retries.Enqueue(line, time.GetUtcNow() + (result.RetryAfter ?? Options.RetryDelay));
                return;
            }
            var ok = result.StatusCode is >= 200 and < 300;
            await SettleAsync(line, ok, BatchOutput.Response(Id, line, batchLine.CustomId, result.StatusCode, result.RequestId, result.Body));
        }
        finally
        {
            _inFlight.Remove(line);
        }
    }

    /// <summary>Appends the line's result, retrying while the store is unreachable; if it stays so, the line remains
    /// started without a result and is settled as interrupted later (it is never sent again either way).</summary>
    private async Task SettleAsync(int line, bool succeeded, byte[] output)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await progress.CompleteAsync(Id, new LineResult(line, succeeded, output)))
                {
                    _ = succeeded ? _completed++ : _failed++;
                }
                _settled.Add(line);
                return;
            }
            catch (Exception e) when (attempt < SettleAttempts)
            {
                LogStoreFailed(logger, Id, line, RedactedException.Of(e));
                await Task.Delay(Options.RetryDelay, time);
            }
        }
    }

    /// <summary>Settles every line without a result (interrupted if it was started, else cancelled or expired), writes
    /// the output and error files from the log, and ends the batch. Safe to run again after a crash: the files' ids are
    /// fixed and a line's result is appended once.</summary>
    private async Task FinalizeAsync(string target)
    {
        var s = state.State;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (s.Status != BatchStatuses.Finalizing)
        {
            s.Status = BatchStatuses.Finalizing;
            s.FinalStatus = target;
            s.FinalizingAt = now;
            await state.WriteStateAsync();
        }
        var lines = _lines ?? [];
        var read = await progress.ReadAsync(Id);
        for (var line = 0; line < lines.Count; line++)
        {
            if (read.Results.ContainsKey(line))
            {
                continue;
            }
            var output = read.Started.ContainsKey(line) ? Interrupted(line) : target switch
            {
                BatchStatuses.Cancelled => BatchOutput.Error(Id, line, lines[line].CustomId, BatchOutput.CancelledCode, "The batch was cancelled before this line was sent."),
                BatchStatuses.Expired => BatchOutput.Error(Id, line, lines[line].CustomId, BatchOutput.ExpiredCode, "The batch's completion window ended before this line was sent."),
                _ => Interrupted(line),
            };
            await progress.CompleteAsync(Id, new LineResult(line, false, output));
        }
        read = await progress.ReadAsync(Id);
        var results = read.Results.Values.Where(r => r.Line < lines.Count).OrderBy(r => r.Line).ToList();
        var succeeded = results.Where(r => r.Succeeded).Select(r => r.OutputLine).ToList();
        var failed = results.Where(r => !r.Succeeded).Select(r => r.OutputLine).ToList();
        s.OutputFileId = succeeded.Count > 0 ? await SaveResultFileAsync("output", succeeded) : null;
        s.ErrorFileId = failed.Count > 0 ? await SaveResultFileAsync("error", failed) : null;
        (s.Total, s.Completed, s.Failed) = (lines.Count, succeeded.Count, failed.Count);
        (_completed, _failed) = (succeeded.Count, failed.Count);
        s.Status = target;
        s.FinalStatus = null;
        _ = target switch
        {
            BatchStatuses.Cancelled => s.CancelledAt = now,
            BatchStatuses.Expired => s.ExpiredAt = now,
            _ => s.CompletedAt = now,
        };
        await state.WriteStateAsync();
        LogFinished(logger, Id, target, s.Completed, s.Failed);
        StopTimer();
        await StopReminderAsync();
    }

    private async Task<string> SaveResultFileAsync(string kind, IReadOnlyList<byte[]> lines)
    {
        var id = BatchOutput.FileId(Id, kind);
        var content = BatchOutput.File(lines);
        var now = time.GetUtcNow();
        await files.SaveAsync(new StoredFile(id, state.State.OwnerUserId, $"{Id}_{kind}.jsonl", FilePurposes.BatchOutput, content.Length,
            now.ToUnixTimeSeconds(), FileSequence.Next(now)), content);
        return id;
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Batch {BatchId}: a step failed; the next tick tries again")]
    private static partial void LogTickFailed(ILogger logger, string batchId, Exception exception);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "Batch {BatchId} failed validation with {Errors} error(s)")]
    private static partial void LogFailedValidation(ILogger logger, string batchId, int errors);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Batch {BatchId}: line {Line} was in flight on a silo that stopped; reported as interrupted, not sent again")]
    private static partial void LogInterrupted(ILogger logger, string batchId, int line);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Warning, Message = "Batch {BatchId}: the progress store failed for line {Line}")]
    private static partial void LogStoreFailed(ILogger logger, string batchId, int line, Exception exception);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Warning, Message = "Batch {BatchId}: line {Line} failed inside Parley")]
    private static partial void LogLineFailed(ILogger logger, string batchId, int line, Exception exception);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Information, Message = "Batch {BatchId} {Status}: {Completed} completed, {Failed} failed")]
    private static partial void LogFinished(ILogger logger, string batchId, string status, int completed, int failed);
}
