namespace Parley.Cli.Batch;

/// <summary>Counters of a batch run, updated by the workers and read by the progress display.</summary>
public sealed class BatchStats(int total, int alreadyFinished, TimeProvider time)
{
    private readonly long _startTicks = time.GetTimestamp();
    private long _done;
    private long _failed;
    private long _retries;
    private long _tokens;
    private long _inFlight;
    private long _requests;

    public int Total { get; } = total;

    /// <summary>Lines finished by earlier runs (not counted in this run's rate).</summary>
    public int AlreadyFinished { get; } = alreadyFinished;

    public long Done => Interlocked.Read(ref _done);

    public long Failed => Interlocked.Read(ref _failed);

    public long Retries => Interlocked.Read(ref _retries);

    public long Tokens => Interlocked.Read(ref _tokens);

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>HTTP requests sent in this run (retries included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>USD spent since the run started, from /v1/usage; null until known.</summary>
    public decimal? Cost { get; set; }

    public TimeSpan Elapsed => time.GetElapsedTime(_startTicks);

    /// <summary>Lines finished per second in this run.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? (Done + Failed) / Elapsed.TotalSeconds : 0;

    public long Remaining => Total - AlreadyFinished - Done - Failed;

    public TimeSpan? Eta => Rate > 0 ? TimeSpan.FromSeconds(Remaining / Rate) : null;

    public void Sending() => Interlocked.Increment(ref _requests);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Ended() => Interlocked.Decrement(ref _inFlight);

    public void Retried() => Interlocked.Increment(ref _retries);

    public void Succeeded(long tokens)
    {
        Interlocked.Increment(ref _done);
        Interlocked.Add(ref _tokens, tokens);
    }

    public void FailedOne() => Interlocked.Increment(ref _failed);
}
