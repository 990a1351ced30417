using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth.Sessions;

/// <summary>Counts wrong keys per client address on this silo: after <see cref="AdminSessionOptions.MaxSignInFailures"/>
/// within <see cref="AdminSessionOptions.SignInFailureWindow"/> (counted from the first), the address may not try
/// again until the window ends. Per silo, so a cluster of N allows N times as many guesses; with 256-bit keys that is
/// still hopeless, the limit only keeps logs and the store quiet.</summary>
internal sealed class SignInThrottle(TimeProvider time, IOptions<AdminSessionOptions> options)
{
    // Bounds memory under a flood from many addresses: past it, expired entries go, and if that is not enough, all.
    internal const int Capacity = 10_000;

    private readonly AdminSessionOptions _options = options.Value;
    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();

    /// <summary>Addresses with failures on record.</summary>
    internal int Count => _windows.Count;

    /// <summary>How long <paramref name="client"/> must wait before trying again; null if it may try now.</summary>
    public TimeSpan? RetryAfter(IPAddress client)
    {
        if (!_windows.TryGetValue(client, out var window))
        {
            return null;
        }
        lock (window)
        {
            var remaining = window.Start + _options.SignInFailureWindow - time.GetUtcNow();
            return window.Failures >= _options.MaxSignInFailures && remaining > TimeSpan.Zero ? remaining : null;
        }
    }

    /// <summary>Counts a wrong key; returns the failures in the current window.</summary>
    public int RecordFailure(IPAddress client)
    {
        if (_windows.Count >= Capacity && !_windows.ContainsKey(client))
        {
            Prune();
        }
        var now = time.GetUtcNow();
        var window = _windows.GetOrAdd(client, static (_, start) => new Window(start), now);
        lock (window)
        {
            if (now - window.Start >= _options.SignInFailureWindow)
            {
                window.Start = now;
                window.Failures = 0;
            }
            return ++window.Failures;
        }
    }

    /// <summary>Forgets the address's failures (after it signed in).</summary>
    public void Reset(IPAddress client) => _windows.TryRemove(client, out _);

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (address, window) in _windows)
        {
            if (now - window.Start >= _options.SignInFailureWindow)
            {
                _windows.TryRemove(address, out _);
            }
        }
        if (_windows.Count >= Capacity)
        {
            _windows.Clear();
        }
    }

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Failures;
    }
}
