using System.Collections.Concurrent;

namespace Parley.Silo.Auth.Signing;

/// <summary>The embedded silo's nonces, in process. Expired ones are swept as new ones arrive, so it holds at most the
/// nonces of one lifetime.</summary>
internal sealed class MemoryNonceStore(TimeProvider time) : INonceStore
{
    private const int SweepEvery = 1024;

    private readonly ConcurrentDictionary<(string KeyId, string Nonce), long> _seen = new();
    private int _claims;

    public ValueTask<bool> TryClaimAsync(string keyId, string nonce, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Interlocked.Increment(ref _claims) % SweepEvery == 0)
        {
            Sweep(now);
        }
        var expires = now + (long)lifetime.TotalMilliseconds;
        while (true)
        {
            if (_seen.TryAdd((keyId, nonce), expires))
            {
                return ValueTask.FromResult(true);
            }
            if (_seen.TryGetValue((keyId, nonce), out var until) && until > now)
            {
                return ValueTask.FromResult(false);
            }
            // Expired: claim it again unless another request just did.
            if (_seen.TryUpdate((keyId, nonce), expires, until))
            {
                return ValueTask.FromResult(true);
            }
        }
    }

    private void Sweep(long now)
    {
        foreach (var (entry, until) in _seen)
        {
            if (until <= now)
            {
                _seen.TryRemove(KeyValuePair.Create(entry, until));
            }
        }
    }
}
