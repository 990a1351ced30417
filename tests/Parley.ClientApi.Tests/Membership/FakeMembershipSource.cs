using System.Net;
using Parley.ClientApi.Membership;

namespace Parley.ClientApi.Tests.Membership;

/// <summary>A membership source the test sets: the active silos, or a failure to report.</summary>
internal sealed class FakeMembershipSource : ISiloMembershipSource
{
    private volatile IReadOnlyCollection<IPAddress> _silos = [];
    private volatile Exception? _failure;

    public int Calls;

    public IReadOnlyCollection<IPAddress> Silos
    {
        get => _silos;
        set => _silos = value;
    }

    public Exception? Failure
    {
        get => _failure;
        set => _failure = value;
    }

    public Task<IReadOnlyCollection<IPAddress>> GetActiveSiloAddressesAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        return _failure is { } failure ? Task.FromException<IReadOnlyCollection<IPAddress>>(failure) : Task.FromResult(_silos);
    }
}
