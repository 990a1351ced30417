namespace Parley.Runtime;

/// <summary>Live numbers of the local grain runtime, for the dashboard and metrics.</summary>
public interface IGrainRuntimeStatistics
{
    /// <summary>Activations currently in this silo's directory.</summary>
    int ActivationCount { get; }

    /// <summary>Current activations per grain type name (types with none are included with 0).</summary>
    IReadOnlyDictionary<string, int> GetActivationCounts();

    /// <summary>Activations that completed OnActivateAsync since start.</summary>
    long ActivationsCreated { get; }

    /// <summary>Activations whose activation failed since start.</summary>
    long ActivationFailures { get; }

    /// <summary>Activations deactivated since start (idle, requested or shutdown).</summary>
    long Deactivations { get; }
}
