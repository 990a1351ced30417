using Parley.Grains.UpstreamKeys;

namespace Parley.Grains.Tests.UpstreamKeys;

public sealed class MemoryUpstreamKeyStoreTests : UpstreamKeyStoreContractTests
{
    protected override Task<(IUpstreamKeyStore First, IUpstreamKeyStore Second)> CreateStoresAsync()
    {
        // One process: both "silos" share the one store.
        var store = new MemoryUpstreamKeyStore();
        return Task.FromResult<(IUpstreamKeyStore, IUpstreamKeyStore)>((store, store));
    }
}
