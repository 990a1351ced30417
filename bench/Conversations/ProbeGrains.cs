using Orleans;
using Parley.Grains;

namespace Parley.Bench.Conversations;

/// <summary>The smallest activation Orleans can have: what the runtime itself keeps per activated grain.</summary>
public interface IEmptyProbeGrain : IGrainWithStringKey
{
    Task PingAsync();
}

/// <summary>An empty grain with one persistent state in Parley's grain storage (read on activation, never written):
/// what Orleans' persistent-state machinery adds to an activation.</summary>
public interface IStatefulProbeGrain : IGrainWithStringKey
{
    Task PingAsync();
}

internal sealed class EmptyProbeGrain : Grain, IEmptyProbeGrain
{
    public Task PingAsync() => Task.CompletedTask;
}

internal sealed class StatefulProbeGrain([PersistentState("probe", GrainStorage.Name)] IPersistentState<ProbeState> state) : Grain, IStatefulProbeGrain
{
    public Task PingAsync() => Task.FromResult(state.State);
}

public sealed class ProbeState
{
    public int Value { get; set; }
}
