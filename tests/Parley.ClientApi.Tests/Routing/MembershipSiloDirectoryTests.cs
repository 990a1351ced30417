using Parley.ClientApi.Routing;
using Parley.Runtime.Membership;

namespace Parley.ClientApi.Tests.Routing;

public sealed class MembershipSiloDirectoryTests
{
    [Fact]
    public void The_snapshot_is_rebuilt_only_when_the_addresses_change()
    {
        var membership = new StubMembership();
        var directory = new MembershipSiloDirectory(membership);
        Assert.Equal(0, directory.Current.Count);

        membership.LiveSilos = [Entry("a", "http://10.0.0.1:8080"), Entry("b", "http://10.0.0.2:8080")];
        var first = directory.Current;
        Assert.Equal(["http://10.0.0.1:8080", "http://10.0.0.2:8080"], first.Nodes.Select(n => n.Address));
        Assert.Same(first, directory.Current);

        // A new list with the same silos (e.g. after a refresh) keeps the snapshot.
        membership.LiveSilos = [Entry("b", "http://10.0.0.2:8080"), Entry("a", "http://10.0.0.1:8080")];
        Assert.Same(first, directory.Current);

        membership.LiveSilos = [Entry("b", "http://10.0.0.2:8080")];
        var second = directory.Current;
        Assert.NotSame(first, second);
        Assert.Equal(["http://10.0.0.2:8080"], second.Nodes.Select(n => n.Address));
    }

    private static MembershipEntry Entry(string id, string address)
        => new(id, address, SiloStatus.Active, "host", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private sealed class StubMembership : IClusterMembership
    {
        public IReadOnlyList<MembershipEntry> LiveSilos { get; set; } = [];

        public Task WaitForChangeAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
