using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Grains;

/// <summary>The silo's activation directory: at most one activation per grain id, created on the first call and
/// removed when it deactivates. Dispatch is lock-free on the hot path (a dictionary lookup and an enqueue).</summary>
internal sealed class GrainCatalog : IGrainRuntimeStatistics
{
    private readonly ConcurrentDictionary<GrainId, GrainActivation> _activations = new();
    private readonly FrozenDictionary<Type, GrainRegistration> _byInterface;
    private long _created;
    private long _failed;
    private long _deactivated;
    private volatile bool _stopped;

    public GrainCatalog(IServiceProvider services, IEnumerable<GrainRegistration> registrations,
        IOptions<GrainRuntimeOptions> options, TimeProvider timeProvider, ILogger<GrainCatalog> logger)
    {
        Services = services;
        Options = options.Value;
        TimeProvider = timeProvider;
        Log = new GrainRuntimeLog(logger);
        var list = registrations.ToList();
        var duplicate = list.GroupBy(r => r.TypeName).FirstOrDefault(g => g.Select(r => r.GrainClass).Distinct().Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Grain type name '{duplicate.Key}' is used by more than one grain class.");
        }
        // The last registration for an interface wins, as with other DI registrations.
        _byInterface = list.GroupBy(r => r.InterfaceType).ToFrozenDictionary(g => g.Key, g => g.Last());
        GrainFactory = new GrainFactory(this);
    }

    public IServiceProvider Services { get; }
    public GrainRuntimeOptions Options { get; }
    public TimeProvider TimeProvider { get; }
    public GrainRuntimeLog Log { get; }
    public IGrainFactory GrainFactory { get; }

    public int ActivationCount => _activations.Count;
    public long ActivationsCreated => Interlocked.Read(ref _created);
    public long ActivationFailures => Interlocked.Read(ref _failed);
    public long Deactivations => Interlocked.Read(ref _deactivated);

    public IReadOnlyDictionary<string, int> GetActivationCounts()
    {
        var counts = _byInterface.Values.Select(r => r.TypeName).Distinct().ToDictionary(t => t, _ => 0);
        foreach (var activation in _activations.Values)
        {
            counts[activation.GrainId.Type] = counts.GetValueOrDefault(activation.GrainId.Type) + 1;
        }
        return counts;
    }

    public GrainRegistration GetRegistration(Type interfaceType)
        => _byInterface.TryGetValue(interfaceType, out var registration)
            ? registration
            : throw new InvalidOperationException($"No grain class is registered for {interfaceType.FullName}; call AddGrain<{interfaceType.Name}, TGrain>().");

    public void Dispatch(GrainRegistration registration, GrainId grainId, WorkItem item)
    {
        while (true)
        {
            if (_stopped)
            {
                item.Reject(new InvalidOperationException($"The grain runtime has stopped; {grainId} cannot be called."));
                return;
            }
            var activation = _activations.GetOrAdd(grainId,
                static (id, state) => new GrainActivation(state.Catalog, state.Registration, id), (Catalog: this, Registration: registration));
            if (activation.TryEnqueue(item))
            {
                return;
            }
            // It went away between the lookup and the enqueue: drop it if still listed and look again.
            _activations.TryRemove(KeyValuePair.Create(grainId, activation));
        }
    }

    public void Remove(GrainActivation activation) => _activations.TryRemove(KeyValuePair.Create(activation.GrainId, activation));

    public void OnActivated(GrainActivation activation) => Interlocked.Increment(ref _created);

    public void OnActivationFailed(GrainActivation activation) => Interlocked.Increment(ref _failed);

    public void OnDeactivated(GrainActivation activation, DeactivationReason reason) => Interlocked.Increment(ref _deactivated);

    /// <summary>Deactivates every activation idle for longer than its grain type's collection age and waits for
    /// those deactivations to finish.</summary>
    public async Task<int> CollectIdleAsync()
    {
        var now = TimeProvider.GetTimestamp();
        List<Task>? collecting = null;
        foreach (var activation in _activations.Values)
        {
            var age = activation.Registration.CollectionAge ?? Options.DefaultCollectionAge;
            if (activation.TryCollect(now, age) is { } task)
            {
                (collecting ??= []).Add(task);
            }
        }
        if (collecting is null)
        {
            return 0;
        }
        await Task.WhenAll(collecting).ConfigureAwait(false);
        Log.Collected(collecting.Count);
        return collecting.Count;
    }

    /// <summary>Stops accepting calls and deactivates every activation (each runs OnDeactivateAsync, where grains
    /// persist), waiting at most <see cref="GrainRuntimeOptions.DeactivationTimeout"/>.</summary>
    public async Task DeactivateAllAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        var reason = new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down.");
        if (_activations.IsEmpty)
        {
            return;
        }
        Log.ShutdownDeactivating(_activations.Count);
        var started = TimeProvider.GetTimestamp();
        // Repeated because a call that passed the stopped check just before it was set may still add an activation.
        while (!_activations.IsEmpty)
        {
            var all = _activations.Values.ToList();
            var remaining = Options.DeactivationTimeout - TimeProvider.GetElapsedTime(started);
            try
            {
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }
                await Task.WhenAll(all.Select(a => a.DeactivateAsync(reason)))
                    .WaitAsync(remaining, TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                Log.ShutdownTimedOut(_activations.Count, Options.DeactivationTimeout);
                return;
            }
        }
    }
}
