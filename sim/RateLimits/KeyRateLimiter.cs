using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;

namespace Parley.Sim.RateLimits;

/// <summary>Per-key fixed windows of requests and tokens. A window opens at the key's first request after the
/// previous one ended, so a test that controls the clock knows exactly when the limit resets.</summary>
internal sealed class KeyRateLimiter(IOptions<SimulatorOptions> options, TimeProvider time)
{
    private readonly SimulatorOptions _options = options.Value;

    public bool Enabled => _options.HasRateLimits;

    /// <summary>Admits a request of <paramref name="tokens"/> (prompt plus completion) or refuses it; a refused
    /// request uses nothing.</summary>
    public RateLimitDecision Admit(KeyEntry key, long tokens)
    {
        var requestLimit = _options.RequestsPerWindow;
        var tokenLimit = _options.TokensPerWindow;
        var window = _options.RateLimitWindow;
        lock (key.WindowLock)
        {
            var now = time.GetTimestamp();
            var elapsed = key.WindowOpen ? time.GetElapsedTime(key.WindowStart, now) : window;
            if (elapsed >= window)
            {
                key.WindowOpen = true;
                key.WindowStart = now;
                key.RequestsUsed = 0;
                key.TokensUsed = 0;
                elapsed = TimeSpan.Zero;
            }
            var requestsOk = requestLimit == 0 || key.RequestsUsed < requestLimit;
            var tokensOk = tokenLimit == 0 || key.TokensUsed + tokens <= tokenLimit;
            var admitted = requestsOk && tokensOk;
            if (admitted)
            {
                key.RequestsUsed++;
                key.TokensUsed += tokens;
            }
            return new RateLimitDecision(
                admitted,
                LimitedByTokens: requestsOk && !tokensOk,
                requestLimit,
                Math.Max(0, requestLimit - key.RequestsUsed),
                tokenLimit,
                Math.Max(0, tokenLimit - key.TokensUsed),
                window - elapsed);
        }
    }
}
