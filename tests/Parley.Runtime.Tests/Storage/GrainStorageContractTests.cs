using Parley.Runtime.Storage;

namespace Parley.Runtime.Tests.Storage;

/// <summary>The behaviour every grain storage provider must have; each provider's test class runs all of it.</summary>
public abstract partial class GrainStorageContractTests : IAsyncLifetime
{
    private const string StateName = "counter";
    private IGrainStorage? _storage;

    protected IGrainStorage Storage => _storage!;

    /// <summary>A fresh provider whose records no other test can see.</summary>
    protected abstract Task<IGrainStorage> CreateStorageAsync();

    protected virtual Task DisposeStorageAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _storage = await CreateStorageAsync();

    public Task DisposeAsync() => DisposeStorageAsync();

    private static GrainId Grain(string key = "g1") => new("counter", key);

    private static GrainState<CounterState> Empty() => new(new CounterState());

    private async Task<GrainState<CounterState>> ReadAsync(GrainId id, string stateName = StateName)
    {
        var record = Empty();
        await Storage.ReadStateAsync(stateName, id, record);
        return record;
    }

    [Fact]
    public async Task Reading_a_missing_record_gives_a_default_state_without_etag()
    {
        var record = new GrainState<CounterState>(new CounterState { Count = 99 }) { ETag = "stale", RecordExists = true };
        await Storage.ReadStateAsync(StateName, Grain(), record);

        Assert.False(record.RecordExists);
        Assert.Null(record.ETag);
        Assert.Equal(0, record.State.Count);
    }

    [Fact]
    public async Task A_written_state_reads_back_with_the_writers_etag()
    {
        var record = Empty();
        record.State.Count = 5;
        record.State.Items.Add("a");
        await Storage.WriteStateAsync(StateName, Grain(), record);

        Assert.True(record.RecordExists);
        Assert.NotNull(record.ETag);
        var read = await ReadAsync(Grain());
        Assert.True(read.RecordExists);
        Assert.Equal(record.ETag, read.ETag);
        Assert.Equal(5, read.State.Count);
        Assert.Equal(["a"], read.State.Items);
    }

    [Fact]
    public async Task Every_write_produces_a_new_etag()
    {
        var record = Empty();
        await Storage.WriteStateAsync(StateName, Grain(), record);
        var first = record.ETag;
        await Storage.WriteStateAsync(StateName, Grain(), record);

        Assert.NotEqual(first, record.ETag);
        Assert.Equal(record.ETag, (await ReadAsync(Grain())).ETag);
    }

    [Fact]
    public async Task The_store_keeps_no_reference_to_the_callers_object()
    {
        var record = Empty();
        record.State.Items.Add("stored");
        await Storage.WriteStateAsync(StateName, Grain(), record);
        record.State.Items.Add("mutated after write");

        var first = await ReadAsync(Grain());
        first.State.Items.Add("mutated after read");
        Assert.Equal(["stored"], (await ReadAsync(Grain())).State.Items);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_and_stores_nothing()
    {
        var writer = Empty();
        writer.State.Count = 1;
        await Storage.WriteStateAsync(StateName, Grain(), writer);
        var stale = await ReadAsync(Grain());
        writer.State.Count = 2;
        await Storage.WriteStateAsync(StateName, Grain(), writer);

        stale.State.Count = 100;
        var staleEtag = stale.ETag;
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Grain(), stale));

        Assert.Equal(writer.ETag, ex.StoredEtag);
        Assert.Equal(staleEtag, ex.CurrentEtag);
        Assert.Equal(staleEtag, stale.ETag);
        var read = await ReadAsync(Grain());
        Assert.Equal(2, read.State.Count);
        Assert.Equal(writer.ETag, read.ETag);
    }

    [Fact]
    public async Task Creating_requires_a_null_etag_and_updating_requires_an_existing_record()
    {
        var ghost = new GrainState<CounterState>(new CounterState { Count = 7 }) { ETag = "never-issued" };
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Grain(), ghost));
        Assert.Null(ex.StoredEtag);
        Assert.False((await ReadAsync(Grain())).RecordExists);

        await Storage.WriteStateAsync(StateName, Grain(), Empty());
        var second = Empty();
        second.State.Count = 3;
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Grain(), second));
        Assert.NotNull(conflict.StoredEtag);
        Assert.Null(conflict.CurrentEtag);
        Assert.Equal(0, (await ReadAsync(Grain())).State.Count);
    }

    [Fact]
    public async Task Of_twenty_concurrent_writers_holding_the_same_etag_exactly_one_wins()
    {
        await Storage.WriteStateAsync(StateName, Grain(), Empty());
        var writers = new List<GrainState<CounterState>>();
        for (var i = 0; i < 20; i++)
        {
            var record = await ReadAsync(Grain());
            record.State.Count = i + 1;
            writers.Add(record);
        }
        Assert.Single(writers.Select(w => w.ETag).Distinct());

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = writers.Select(w => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await Storage.WriteStateAsync(StateName, Grain(), w);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(1, results.Count(r => r));
        var winner = writers[Array.IndexOf(results, true)];
        var read = await ReadAsync(Grain());
        Assert.Equal(winner.State.Count, read.State.Count);
        Assert.Equal(winner.ETag, read.ETag);
    }

    [Fact]
    public async Task After_a_clear_the_record_is_gone_and_can_be_created_again_with_a_null_etag()
    {
        var record = Empty();
        record.State.Count = 4;
        await Storage.WriteStateAsync(StateName, Grain(), record);
        await Storage.ClearStateAsync(StateName, Grain(), record);

        Assert.False(record.RecordExists);
        Assert.Null(record.ETag);
        Assert.Equal(0, record.State.Count);
        Assert.False((await ReadAsync(Grain())).RecordExists);

        record.State.Count = 8;
        await Storage.WriteStateAsync(StateName, Grain(), record);
        var read = await ReadAsync(Grain());
        Assert.True(read.RecordExists);
        Assert.Equal(8, read.State.Count);
    }

    [Fact]
    public async Task A_clear_with_a_stale_etag_throws_and_keeps_the_record()
    {
        var writer = Empty();
        await Storage.WriteStateAsync(StateName, Grain(), writer);
        var stale = await ReadAsync(Grain());
        writer.State.Count = 9;
        await Storage.WriteStateAsync(StateName, Grain(), writer);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync(StateName, Grain(), stale));
        Assert.Equal(9, (await ReadAsync(Grain())).State.Count);
    }

    [Fact]
    public async Task A_record_written_after_a_clear_never_reuses_an_old_etag()
    {
        var record = Empty();
        await Storage.WriteStateAsync(StateName, Grain(), record);
        var old = await ReadAsync(Grain());
        await Storage.ClearStateAsync(StateName, Grain(), record);
        await Storage.WriteStateAsync(StateName, Grain(), record);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Grain(), old));
    }

    [Fact]
    public async Task Grains_and_state_names_never_see_each_others_state()
    {
        var a = Empty();
        a.State.Count = 1;
        await Storage.WriteStateAsync(StateName, Grain("a"), a);
        var b = Empty();
        b.State.Count = 2;
        await Storage.WriteStateAsync(StateName, Grain("b"), b);
        var otherName = Empty();
        otherName.State.Count = 3;
        await Storage.WriteStateAsync("other", Grain("a"), otherName);
        var otherType = Empty();
        otherType.State.Count = 4;
        await Storage.WriteStateAsync(StateName, new GrainId("note", "a"), otherType);

        Assert.Equal(1, (await ReadAsync(Grain("a"))).State.Count);
        Assert.Equal(2, (await ReadAsync(Grain("b"))).State.Count);
        Assert.Equal(3, (await ReadAsync(Grain("a"), "other")).State.Count);
        Assert.Equal(4, (await ReadAsync(new GrainId("note", "a"))).State.Count);
        Assert.False((await ReadAsync(Grain("c"))).RecordExists);

        await Storage.ClearStateAsync(StateName, Grain("a"), a);
        Assert.Equal(2, (await ReadAsync(Grain("b"))).State.Count);
        Assert.Equal(3, (await ReadAsync(Grain("a"), "other")).State.Count);
    }

    [Fact]
    public async Task A_state_type_missing_from_the_json_contexts_fails_loudly()
    {
        var record = new GrainState<UnregisteredState>(new UnregisteredState());
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Storage.WriteStateAsync(StateName, Grain(), record));
        Assert.Contains(nameof(UnregisteredState), ex.Message);
    }
}
