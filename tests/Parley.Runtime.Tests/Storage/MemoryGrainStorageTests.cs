using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Tests.Storage;

public sealed class MemoryGrainStorageTests : GrainStorageContractTests
{
    private ServiceProvider? _services;

    protected override Task<IGrainStorage> CreateStorageAsync()
    {
        _services = new ServiceCollection()
            .AddGrainStateJson(TestJsonContext.Default)
            .AddMemoryGrainStorage()
            .BuildServiceProvider();
        return Task.FromResult(_services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Default));
    }

    protected override async Task DisposeStorageAsync() => await _services!.DisposeAsync();
}
