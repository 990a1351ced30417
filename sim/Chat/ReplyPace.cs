using Microsoft.Extensions.Options;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;

namespace Parley.Sim.Chat;

/// <summary>When each chunk of one answer is due: chunk 0 after the time to first token in force when the answer
/// started, each next one <see cref="SimulatorOptions.TokensPerChunk"/> / <see cref="SimulatorOptions.TokensPerSecond"/>
/// seconds later. Due times measured from the start (not sleeps between chunks) keep the pace free of drift.</summary>
internal readonly struct ReplyPace(TimeProvider time, long start, TimeSpan firstToken, double tokensPerSecond, int tokensPerChunk)
{
    public int TokensPerChunk => tokensPerChunk;

    /// <summary>Chunks that carry <paramref name="tokens"/> tokens.</summary>
    public int ChunkCount(int tokens) => (tokens + tokensPerChunk - 1) / tokensPerChunk;

    /// <summary>Time after the start at which chunk <paramref name="chunk"/> (0 = the first token) is due; a
    /// negative chunk (an empty answer) is due with the first token.</summary>
    public TimeSpan DueTimeOfChunk(int chunk)
        => tokensPerSecond == 0 || chunk <= 0
            ? firstToken
            : firstToken + TimeSpan.FromSeconds(chunk * tokensPerChunk / tokensPerSecond);

    public Task WaitForChunkAsync(int chunk, CancellationToken ct)
    {
        var wait = DueTimeOfChunk(chunk) - time.GetElapsedTime(start);
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, ct) : Task.CompletedTask;
    }
}

/// <summary>Starts the pace of an answer with the settings in force.</summary>
internal sealed class ReplyPacer(IOptions<SimulatorOptions> options, FaultControl faults, TimeProvider time)
{
    private readonly SimulatorOptions _options = options.Value;

    public ReplyPace Start() => new(time, time.GetTimestamp(), faults.Current.TimeToFirstToken, _options.TokensPerSecond, _options.TokensPerChunk);
}
