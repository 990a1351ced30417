namespace Parley.ClientApi.Routing;

/// <summary>A silo the front end can forward to: its base URL (no trailing slash) and the hash of that URL, which is
/// the silo's identity for rendezvous hashing. The URL (not the per-start silo id) is used so that a silo restarted
/// at the same address gets its keys back.</summary>
public sealed class SiloNode
{
    public SiloNode(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        Address = address.TrimEnd('/');
        Hash = RoutingHash.Of(Address);
    }

    public string Address { get; }

    public ulong Hash { get; }

    public override string ToString() => Address;
}
