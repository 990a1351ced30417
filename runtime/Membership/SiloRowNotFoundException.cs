namespace Parley.Runtime.Membership;

/// <summary>The table has no row for a silo that tried to update its own row (e.g. Redis lost its data); the silo
/// joins again.</summary>
public sealed class SiloRowNotFoundException(string siloId)
    : Exception($"The membership table has no row for silo {siloId}.")
{
    public string SiloId { get; } = siloId;
}
