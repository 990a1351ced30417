namespace Parley.ClientApi.Routing;

/// <summary>The silos requests can be forwarded to right now.</summary>
public interface ISiloDirectory
{
    /// <summary>The current snapshot; cheap to call on every request.</summary>
    SiloSet Current { get; }
}
