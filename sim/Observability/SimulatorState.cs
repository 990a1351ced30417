using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Parley.Sim.Api;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;

namespace Parley.Sim.Observability;

/// <summary>What the simulator has seen and done, for tests to assert on (resolve it from the simulator's services,
/// or read GET /sim/stats and GET /sim/requests). Thread-safe.</summary>
public sealed class SimulatorState
{
    private readonly ConcurrentDictionary<string, KeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KeyEntry>.AlternateLookup<ReadOnlySpan<char>> _keysBySpan;
    private readonly long[] _faultsByKind = new long[SimFaults.KindCount];
    private readonly RequestRecorder _recorder;
    private long _requests;
    private long _unauthorized;
    private long _badRequests;
    private long _rateLimited;
    private long _contentPolicyRefusals;
    private long _toolUseSequence;
    private long _completed;
    private long _inFlight;

    public SimulatorState(IOptions<SimulatorOptions> options)
    {
        _keysBySpan = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
        _recorder = new RequestRecorder(options.Value.RecordedRequests);
    }

    /// <summary>Requests received by the model APIs (chat completions, Azure deployments, Anthropic messages),
    /// including refused ones.</summary>
    public long RequestsReceived => Interlocked.Read(ref _requests);

    /// <summary>Requests refused with 401.</summary>
    public long Unauthorized => Interlocked.Read(ref _unauthorized);

    /// <summary>Requests refused with a 4xx for their body or route (400, 404 unknown model or deployment, 413);
    /// content-policy refusals are counted apart, in <see cref="ContentPolicyRefusals"/>.</summary>
    public long BadRequests => Interlocked.Read(ref _badRequests);

    /// <summary>429 answers sent, by the rate limiter, forced by a header or drawn at Simulator:RateLimitRate.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Chat completions refused by the content policy (Simulator:ContentPolicyTrigger).</summary>
    public long ContentPolicyRefusals => Interlocked.Read(ref _contentPolicyRefusals);

    /// <summary>Faults injected (at random or forced by a header), injected 429s included.</summary>
    public long Faults
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _faultsByKind.Length; i++)
            {
                total += Volatile.Read(ref _faultsByKind[i]);
            }
            return total;
        }
    }

    /// <summary>Completions answered to the end (200 with the whole body or stream).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Model API requests being handled right now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    public long FaultsOf(SimFault kind) => Volatile.Read(ref _faultsByKind[(int)kind]);

    /// <summary>Authenticated model API requests received with <paramref name="apiKey"/>.</summary>
    public long RequestsFor(string apiKey) => _keys.TryGetValue(apiKey, out var entry) ? Interlocked.Read(ref entry.Requests) : 0;

    /// <summary>429s answered to <paramref name="apiKey"/>.</summary>
    public long RateLimitedFor(string apiKey) => _keys.TryGetValue(apiKey, out var entry) ? Interlocked.Read(ref entry.RateLimited) : 0;

    /// <summary>The most recent request bodies (up to Simulator:RecordedRequests), oldest first.</summary>
    public IReadOnlyList<RecordedRequest> RecentRequests => _recorder.Snapshot();

    /// <summary>The most recent request body, or null.</summary>
    public RecordedRequest? LastRequest => RecentRequests is { Count: > 0 } all ? all[^1] : null;

    /// <summary>Forgets every counter, recorded body and rate-limit window, and restarts tool-use ids at 1 (the fault
    /// settings are <see cref="FaultControl.Reset"/>'s).</summary>
    public void Reset()
    {
        _keys.Clear();
        _recorder.Clear();
        Array.Clear(_faultsByKind);
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _unauthorized, 0);
        Interlocked.Exchange(ref _badRequests, 0);
        Interlocked.Exchange(ref _rateLimited, 0);
        Interlocked.Exchange(ref _contentPolicyRefusals, 0);
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _toolUseSequence, 0);
    }

    /// <summary>The counters as GET /sim/stats shows them (keys as hints).</summary>
    public SimStats Snapshot()
    {
        var keys = _keys.Values.ToArray();
        var faults = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in SimFaults.All)
        {
            faults[SimFaults.Name(kind)] = FaultsOf(kind);
        }
        return new SimStats(RequestsReceived, Unauthorized, BadRequests, RateLimited, Faults, Completed, InFlight, faults,
            SumByHint(keys, static k => Interlocked.Read(ref k.Requests)),
            SumByHint(keys, static k => Interlocked.Read(ref k.RateLimited)),
            ContentPolicyRefusals);
    }

    // Two keys may share a hint; their counts add up rather than hide each other.
    private static Dictionary<string, long> SumByHint(KeyEntry[] keys, Func<KeyEntry, long> count)
        => keys.GroupBy(k => k.Hint, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(count), StringComparer.Ordinal);

    internal bool RecordsBodies => _recorder.Enabled;

    internal KeyEntry KeyEntryFor(ReadOnlySpan<char> apiKey)
    {
        if (_keysBySpan.TryGetValue(apiKey, out var entry))
        {
            return entry;
        }
        var key = apiKey.ToString();
        return _keys.GetOrAdd(key, static k => new KeyEntry(k));
    }

    internal void RequestStarted()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    internal void RequestFinished() => Interlocked.Decrement(ref _inFlight);

    internal void Authenticated(KeyEntry entry) => Interlocked.Increment(ref entry.Requests);

    internal void UnauthorizedSent() => Interlocked.Increment(ref _unauthorized);

    internal void BadRequestSent() => Interlocked.Increment(ref _badRequests);

    internal void RateLimitSent(KeyEntry entry)
    {
        Interlocked.Increment(ref _rateLimited);
        Interlocked.Increment(ref entry.RateLimited);
    }

    internal void ContentPolicyRefusalSent() => Interlocked.Increment(ref _contentPolicyRefusals);

    /// <summary>1 for the first tool_use block answered since start (or the last reset), then 2, …</summary>
    internal long NextToolUseSequence() => Interlocked.Increment(ref _toolUseSequence);

    internal void FaultSent(SimFault kind) => Interlocked.Increment(ref _faultsByKind[(int)kind]);

    internal void CompletedSent() => Interlocked.Increment(ref _completed);

    internal void Record(string path, KeyEntry? key, string body, bool isJson, DateTimeOffset receivedAt, string? traceParent = null)
        => _recorder.Add(new RecordedRequest(_recorder.NextSequence(), receivedAt, path, key?.Hint, body, isJson, traceParent));
}
