namespace Parley.Runtime.Hosting;

public sealed class GrainRuntimeOptions
{
    public const string SectionName = "Parley:Grains";
    public static readonly TimeSpan DefaultCollectionAgeValue = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan DefaultCollectionQuantumValue = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultDeactivationTimeoutValue = TimeSpan.FromSeconds(30);

    /// <summary>Idle time after which an activation is deactivated, unless its grain type sets its own.</summary>
    public TimeSpan DefaultCollectionAge { get; set; } = DefaultCollectionAgeValue;

    /// <summary>How often the collector looks for idle activations.</summary>
    public TimeSpan CollectionQuantum { get; set; } = DefaultCollectionQuantumValue;

    /// <summary>Bound on OnDeactivateAsync (including the final state write) per activation at shutdown.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = DefaultDeactivationTimeoutValue;
}
