using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Documents;
using Parley.Grains.Batches;
using Parley.Documents.Pacing;
using Parley.Documents.Pipeline;
using Parley.Tokenizer;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Documents;

/// <summary>One run of a document job: the text read back from its file, cut, mapped and reduced by
/// <see cref="MapReducePipeline"/> (the library <c>parley summarize</c> uses), each call sent through
/// <see cref="IBatchLineExecutor"/> (the silo's chat completion path, as the job's user and key). Each call is recorded in
/// the job's log as started before it is sent and its answer appended once answered, under a line number made of the
/// call's place in the pipeline and an attempt number:
/// <list type="bullet">
/// <item>a call answered by an earlier run is not sent again: its answer is taken from the log;</item>
/// <item>a call an earlier run started and never answered (its silo died with the call in flight) may or may not have
/// reached the upstream: it is sent again, once, under the next attempt number;</item>
/// <item>a call another activation of the job has started (two activations coexist only briefly) is waited for, not
/// sent;</item>
/// <item>a call refused before it reached the upstream (a quota, no capacity yet) is retried after its Retry-After.</item>
/// </list>
/// Thread-safe: the pipeline's calls run in parallel, off the grain's scheduler.</summary>
internal sealed partial class DocumentJobRun : ICompletionBackend, IProgress<PipelineProgress>
{
    /// <summary>Sends of one call at most (the first, and one per run that died with it in flight).</summary>
    public const int AttemptsPerCall = 4;

    /// <summary>Chunks per job at most: a call's number is its reduce level times this plus its index.</summary>
    public const int MaxCallsPerStage = 1 << 20;

    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OtherActivationPoll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan OtherActivationWait = TimeSpan.FromMinutes(10);

    private readonly string _jobId;
    private readonly string _owner;
    private readonly DocumentJobState _job;
    private readonly IBatchFileStore _files;
    private readonly IBatchProgressStore _log;
    private readonly IBatchLineExecutor _executor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private BatchProgress _earlier = BatchProgress.Empty;
    private DocumentJobProgress _progress = DocumentJobProgress.None;
    private volatile bool _draining;
    private int _chunks;
    private long _calls;
    private long _promptTokens;
    private long _completionTokens;

    /// <param name="job">A copy of the job's settings (the run never writes it).</param>
    public DocumentJobRun(string jobId, int run, DocumentJobState job, IBatchFileStore files, IBatchProgressStore log, IBatchLineExecutor executor,
        TimeProvider time, ILogger logger)
    {
        _jobId = jobId;
        Run = run;
        _owner = jobId + "/" + run;
        _job = job;
        _files = files;
        _log = log;
        _executor = executor;
        _time = time;
        _logger = logger;
    }

    public int Run { get; }

    public DocumentJobProgress Progress => Volatile.Read(ref _progress);

    public int Chunks => Volatile.Read(ref _chunks);

    public DocumentJobUsage Usage => new((int)Interlocked.Read(ref _calls), Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _completionTokens));

    /// <summary>No new call starts; the calls in flight finish and are recorded (a graceful deactivation).</summary>
    public void Drain() => _draining = true;

    /// <summary>No new call starts and the calls in flight are abandoned (the job was cancelled).</summary>
    public void Cancel()
    {
        _draining = true;
        _stop.Cancel();
    }

    /// <summary>Runs the pipeline to its end: an outcome with the answer, with the error that failed it, or with neither
    /// when the run was stopped (drained or cancelled) before the end.</summary>
    public async Task<DocumentRunOutcome> RunAsync()
    {
        try
        {
            var content = await _files.ReadContentAsync(_job.InputFileId).ConfigureAwait(false);
            if (content is null)
            {
                return Outcome(error: new DocumentJobError(DocumentJobErrors.InputFileMissing, $"The input file '{_job.InputFileId}' no longer exists."));
            }
            _earlier = await _log.ReadAsync(_jobId).ConfigureAwait(false);
            var pipeline = new MapReducePipeline(this, new RequestPacer(null, _time), TiktokenEncoding.Get(_job.Encoding), new PipelineOptions
            {
                MapInstruction = _job.MapInstruction,
                ReduceInstruction = _job.ReduceInstruction,
                ContextWindow = _job.ContextWindow,
                MaxOutputTokens = _job.MaxOutputTokens,
                ChunkTokens = _job.ChunkTokens,
                OverlapTokens = _job.OverlapTokens,
                Concurrency = _job.Concurrency,
            });
            var result = await pipeline.RunAsync(Encoding.UTF8.GetString(content), this, _stop.Token).ConfigureAwait(false);
            return Outcome(output: result.Answer, reduceLevels: result.ReduceLevels);
        }
        catch (DocumentCallFailedException e)
        {
            return Outcome(error: e.Error);
        }
        catch (OperationCanceledException) when (_draining)
        {
            return Outcome();
        }
        catch (InvalidOperationException e)
        {
            // The partial answers grew too long to merge within the window: the job cannot finish as configured.
            return Outcome(error: new DocumentJobError(DocumentJobErrors.MergeImpossible, e.Message));
        }
    }

    /// <summary>Runs the job and reports the outcome to its grain. A run that throws (storage unreachable) reports that it
    /// stopped short; a grain that cannot be told (its activation is gone) runs the job again from the log.</summary>
    public async Task RunAndReportAsync(IDocumentJobGrain grain)
    {
        DocumentRunOutcome outcome;
        try
        {
            outcome = await RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogRunStopped(_logger, _jobId, RedactedException.Of(e));
            outcome = Outcome();
        }
        try
        {
            await grain.FinishRunAsync(outcome).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogRunStopped(_logger, _jobId, RedactedException.Of(e));
        }
    }

    public void Report(PipelineProgress value)
    {
        if (value.Stage == PipelineStage.Chunk)
        {
            Volatile.Write(ref _chunks, value.Total);
        }
        Volatile.Write(ref _progress, new DocumentJobProgress(StageName(value.Stage), value.Level, value.Done, value.Total));
    }

    public async Task<CompletionResult> CompleteAsync(CompletionCall call, CancellationToken cancellationToken)
    {
        var number = (long)call.Level * MaxCallsPerStage + call.Index;
        for (var attempt = 0; attempt < AttemptsPerCall; attempt++)
        {
            var line = checked((int)(number * AttemptsPerCall + attempt));
            if (_earlier.Results.TryGetValue(line, out var answered))
            {
                return Counted(Answered(answered));
            }
            if (_earlier.Started.ContainsKey(line))
            {
                // An earlier run sent it and stopped before the answer: it may have reached the upstream or not.
                LogResent(_logger, _jobId, call.Stage, call.Level, call.Index, attempt + 1);
                continue;
            }
            return Counted(await SendAsync(call, line).ConfigureAwait(false));
        }
        throw new DocumentCallFailedException(new DocumentJobError(DocumentJobErrors.CallInterrupted,
            $"A {StageName(call.Stage)} call (level {call.Level}, part {call.Index + 1}) was interrupted {AttemptsPerCall} times by a silo stopping."));
    }

    private async Task<CompletionResult> SendAsync(CompletionCall call, int line)
    {
        var body = Body(call);
        while (true)
        {
            if (_draining)
            {
                throw new OperationCanceledException("The run is stopping.");
            }
            if (!await _log.TryStartAsync(_jobId, line, _owner).ConfigureAwait(false))
            {
                return await AwaitOtherActivationAsync(line).ConfigureAwait(false);
            }
            var requestId = "docjob_req_" + Guid.NewGuid().ToString("N");
            var result = await _executor.ExecuteAsync(new BatchLineRequest(_jobId, line, requestId, _job.OwnerUserId, _job.KeyId, body), _stop.Token)
                .ConfigureAwait(false);
            if (result.Retryable)
            {
                await _log.ReleaseAsync(_jobId, line, _owner).ConfigureAwait(false);
                await Task.Delay(result.RetryAfter ?? DefaultRetryAfter, _time, _stop.Token).ConfigureAwait(false);
                continue;
            }
            if (result.StatusCode is >= 200 and < 300 && Completion(result.Body) is { } completion)
            {
                await _log.CompleteAsync(_jobId, new LineResult(line, true, Serialize(completion))).ConfigureAwait(false);
                return completion;
            }
            await _log.CompleteAsync(_jobId, new LineResult(line, false, result.Body)).ConfigureAwait(false);
            throw new DocumentCallFailedException(CallError(result.StatusCode, result.Body));
        }
    }

    /// <summary>Another activation of this job recorded the start first: its answer is waited for in the log.</summary>
    private async Task<CompletionResult> AwaitOtherActivationAsync(int line)
    {
        var deadline = _time.GetUtcNow() + OtherActivationWait;
        while (_time.GetUtcNow() < deadline)
        {
            await Task.Delay(OtherActivationPoll, _time, _stop.Token).ConfigureAwait(false);
            if ((await _log.ReadAsync(_jobId).ConfigureAwait(false)).Results.TryGetValue(line, out var answered))
            {
                return Answered(answered);
            }
        }
        throw new DocumentCallFailedException(new DocumentJobError(DocumentJobErrors.CallInterrupted,
            "Another activation of this job started a call and did not answer it in time."));
    }

    private CompletionResult Counted(CompletionResult result)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _promptTokens, result.PromptTokens);
        Interlocked.Add(ref _completionTokens, result.CompletionTokens);
        return result;
    }

    private DocumentRunOutcome Outcome(string? output = null, DocumentJobError? error = null, int reduceLevels = 0)
        => new() { Run = Run, Output = output, Error = error, Chunks = Chunks, ReduceLevels = reduceLevels, Usage = Usage };

    /// <summary>The request a client would send: the model, the reply allowance, the instruction and the part.</summary>
    private byte[] Body(CompletionCall call)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (call.PromptTokens * 4));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, _job.Model);
            writer.WriteNumber("max_tokens"u8, call.MaxOutputTokens);
            writer.WriteStartArray("messages"u8);
            foreach (var message in call.Messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, message.Role);
                writer.WriteString("content"u8, message.Content);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The text and usage of a chat.completion; null when the body is not one.</summary>
    private static CompletionResult? Completion(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (!root.TryGetProperty("choices"u8, out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0
                || !choices[0].TryGetProperty("message"u8, out var message) || !message.TryGetProperty("content"u8, out var content)
                || content.ValueKind != JsonValueKind.String)
            {
                return null;
            }
            long prompt = 0, completion = 0;
            if (root.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                prompt = usage.TryGetProperty("prompt_tokens"u8, out var p) && p.TryGetInt64(out var pv) ? pv : 0;
                completion = usage.TryGetProperty("completion_tokens"u8, out var c) && c.TryGetInt64(out var cv) ? cv : 0;
            }
            return new CompletionResult(content.GetString()!, (int)prompt, (int)completion);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Serialize(CompletionResult result)
    {
        var buffer = new ArrayBufferWriter<byte>(result.Text.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("text"u8, result.Text);
            writer.WriteNumber("prompt_tokens"u8, result.PromptTokens);
            writer.WriteNumber("completion_tokens"u8, result.CompletionTokens);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An answer from the log: a recorded completion, or the recorded error that failed the job before.</summary>
    private static CompletionResult Answered(LineResult answered)
    {
        if (!answered.Succeeded)
        {
            throw new DocumentCallFailedException(CallError(0, answered.OutputLine));
        }
        using var document = JsonDocument.Parse(answered.OutputLine);
        var root = document.RootElement;
        return new CompletionResult(root.GetProperty("text"u8).GetString()!, root.GetProperty("prompt_tokens"u8).GetInt32(),
            root.GetProperty("completion_tokens"u8).GetInt32());
    }

    /// <summary>The failed call's OpenAI error (its code and message), else one naming the status.</summary>
    private static DocumentJobError CallError(int status, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code"u8, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : DocumentJobErrors.CallFailed;
                var message = error.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "A call failed.";
                return new DocumentJobError(code, message);
            }
        }
        catch (JsonException)
        {
            // Not JSON: named by its status below.
        }
        return new DocumentJobError(DocumentJobErrors.CallFailed, status > 0 ? $"A call was answered with status {status}." : "A call failed.");
    }

    private static string StageName(PipelineStage stage) => stage switch
    {
        PipelineStage.Chunk => "chunk",
        PipelineStage.Map => "map",
        _ => "reduce",
    };

    [LoggerMessage(EventId = 9101, Level = LogLevel.Information,
        Message = "Document job {JobId}: the {Stage} call (level {Level}, part {Index}) was in flight when an earlier run stopped; sending it again (attempt {Attempt})")]
    private static partial void LogResent(ILogger logger, string jobId, PipelineStage stage, int level, int index, int attempt);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Document job {JobId}: a run stopped short; the job runs again from its log")]
    private static partial void LogRunStopped(ILogger logger, string jobId, Exception exception);
}

/// <summary>A call of the job answered with an error: the job fails with it.</summary>
internal sealed class DocumentCallFailedException(DocumentJobError error) : Exception(error.Message)
{
    public DocumentJobError Error { get; } = error;
}

/// <summary>Parley's own error codes of a failed document job (a failed call's code is passed on as it is).</summary>
public static class DocumentJobErrors
{
    public const string InputFileMissing = "input_file_missing";
    public const string CallInterrupted = "call_interrupted";
    public const string CallFailed = "call_failed";
    public const string MergeImpossible = "merge_impossible";
}
