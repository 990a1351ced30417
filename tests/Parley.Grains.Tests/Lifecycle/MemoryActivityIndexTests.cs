using Parley.Grains.Conversations.Lifecycle;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

public sealed class MemoryActivityIndexTests : ActivityIndexContractTests
{
    private readonly ManualTimeProvider _time = new();

    protected override TimeSpan ShortLease => TimeSpan.FromMinutes(10);

    protected override Task<IConversationActivityIndex> CreateIndexAsync()
        => Task.FromResult<IConversationActivityIndex>(new MemoryConversationActivityIndex(_time));

    protected override Task LetLeaseExpireAsync(TimeSpan lease)
    {
        _time.Advance(lease);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Renewing_the_lease_extends_it_from_the_renewal()
    {
        var lease = TimeSpan.FromMinutes(10);
        Assert.True(await Index.TryLeaseSweepAsync("silo-a", lease));
        _time.Advance(TimeSpan.FromMinutes(8));
        Assert.True(await Index.TryLeaseSweepAsync("silo-a", lease));

        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.False(await Index.TryLeaseSweepAsync("silo-b", lease));

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Index.TryLeaseSweepAsync("silo-b", lease));
    }
}
