using Parley.Runtime.Storage;

namespace Parley.Runtime.Tests.Storage;

/// <summary>The conditional read (<see cref="IGrainStorage.ReadStateIfChangedAsync{TState}"/>), part of the contract
/// every provider runs.</summary>
public abstract partial class GrainStorageContractTests
{
    [Fact]
    public async Task An_unchanged_record_is_not_read_again_and_the_state_object_is_kept()
    {
        var record = Empty();
        record.State.Count = 3;
        await Storage.WriteStateAsync(StateName, Grain(), record);
        var state = record.State;
        var etag = record.ETag;

        Assert.False(await Storage.ReadStateIfChangedAsync(StateName, Grain(), record));
        Assert.Same(state, record.State);
        Assert.Equal(etag, record.ETag);
        Assert.True(record.RecordExists);

        var read = await ReadAsync(Grain());
        var readState = read.State;
        Assert.False(await Storage.ReadStateIfChangedAsync(StateName, Grain(), read));
        Assert.Same(readState, read.State);
        Assert.Equal(etag, read.ETag);
    }

    [Fact]
    public async Task A_record_changed_by_another_writer_is_read_with_its_new_value_and_etag()
    {
        var mine = Empty();
        mine.State.Count = 1;
        await Storage.WriteStateAsync(StateName, Grain(), mine);
        var other = await ReadAsync(Grain());
        other.State.Count = 2;
        other.State.Items.Add("theirs");
        await Storage.WriteStateAsync(StateName, Grain(), other);
        var stale = mine.State;

        Assert.True(await Storage.ReadStateIfChangedAsync(StateName, Grain(), mine));
        Assert.NotSame(stale, mine.State);
        Assert.Equal(2, mine.State.Count);
        Assert.Equal(["theirs"], mine.State.Items);
        Assert.Equal(other.ETag, mine.ETag);
        Assert.True(mine.RecordExists);
        Assert.False(await Storage.ReadStateIfChangedAsync(StateName, Grain(), mine));
    }

    [Fact]
    public async Task A_record_deleted_by_another_is_read_as_absent()
    {
        var mine = Empty();
        mine.State.Count = 5;
        await Storage.WriteStateAsync(StateName, Grain(), mine);
        var other = await ReadAsync(Grain());
        await Storage.ClearStateAsync(StateName, Grain(), other);

        Assert.True(await Storage.ReadStateIfChangedAsync(StateName, Grain(), mine));
        Assert.False(mine.RecordExists);
        Assert.Null(mine.ETag);
        Assert.Equal(0, mine.State.Count);
        Assert.False(await Storage.ReadStateIfChangedAsync(StateName, Grain(), mine));
    }

    [Fact]
    public async Task A_record_that_never_existed_is_unchanged_for_a_holder_of_no_record()
    {
        var record = new GrainState<CounterState>(new CounterState { Count = 42 });
        var state = record.State;

        Assert.False(await Storage.ReadStateIfChangedAsync(StateName, Grain(), record));
        Assert.Same(state, record.State);
        Assert.Equal(42, record.State.Count);
        Assert.Null(record.ETag);
        Assert.False(record.RecordExists);
    }

    [Fact]
    public async Task A_record_created_by_another_is_read_by_a_holder_of_no_record()
    {
        var mine = Empty();
        var other = Empty();
        other.State.Count = 7;
        await Storage.WriteStateAsync(StateName, Grain(), other);

        Assert.True(await Storage.ReadStateIfChangedAsync(StateName, Grain(), mine));
        Assert.True(mine.RecordExists);
        Assert.Equal(other.ETag, mine.ETag);
        Assert.Equal(7, mine.State.Count);
    }

    [Fact]
    public async Task A_holder_whose_etag_was_never_issued_reads_the_stored_record()
    {
        var other = Empty();
        other.State.Count = 4;
        await Storage.WriteStateAsync(StateName, Grain(), other);
        var ghost = new GrainState<CounterState>(new CounterState()) { ETag = "never-issued", RecordExists = true };

        Assert.True(await Storage.ReadStateIfChangedAsync(StateName, Grain(), ghost));
        Assert.Equal(other.ETag, ghost.ETag);
        Assert.Equal(4, ghost.State.Count);
    }

    [Fact]
    public async Task Persistent_state_refreshes_only_when_another_writer_changed_the_record()
    {
        var state = new PersistentState<CounterState>(StateName, Grain(), Storage);
        await state.ReadStateAsync();
        state.State.Count = 1;
        await state.WriteStateAsync();
        var kept = state.State;

        Assert.False(await state.RefreshStateAsync());
        Assert.Same(kept, state.State);

        var other = new PersistentState<CounterState>(StateName, Grain(), Storage);
        await other.ReadStateAsync();
        other.State.Count = 2;
        await other.WriteStateAsync();

        Assert.True(await state.RefreshStateAsync());
        Assert.Equal(2, state.State.Count);
        Assert.Equal(other.Etag, state.Etag);
        state.State.Count = 3;
        await state.WriteStateAsync();
        Assert.True(await other.RefreshStateAsync());
        Assert.Equal(3, other.State.Count);

        await other.ClearStateAsync();
        Assert.True(await state.RefreshStateAsync());
        Assert.False(state.RecordExists);
        Assert.False(await state.RefreshStateAsync());
    }
}
