using Parley.Runtime.Membership;

namespace Parley.Runtime.Tests.Membership;

/// <summary>The behaviour every membership table must have; each table's test class runs all of it (the agent-level
/// scenarios are in <see cref="MembershipAgentContractTests"/>).</summary>
public abstract class MembershipTableContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private IMembershipTable? _table;

    protected IMembershipTable Table => _table!;

    /// <summary>A fresh, empty table.</summary>
    protected abstract Task<IMembershipTable> CreateTableAsync();

    protected virtual Task DisposeTableAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _table = await CreateTableAsync();
        await _table.InitializeMembershipTable(true);
    }

    public Task DisposeAsync() => DisposeTableAsync();

    protected static MembershipEntry Entry(string id, SiloStatus status = SiloStatus.Joining, DateTimeOffset? alive = null)
        => new(id, $"http://{id}:8080", status, id, T0, alive ?? T0);

    [Fact]
    public async Task An_empty_table_has_version_zero_and_no_rows()
    {
        var data = await Table.ReadAll();
        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
        Assert.Empty((await Table.ReadRow("nobody")).Members);
    }

    [Fact]
    public async Task Insert_adds_the_row_and_bumps_the_version()
    {
        var v0 = (await Table.ReadAll()).Version;
        Assert.True(await Table.InsertRow(Entry("a"), v0.Next()));

        var data = await Table.ReadAll();
        var (entry, etag) = Assert.Single(data.Members);
        Assert.Equal(Entry("a"), entry);
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal(1, data.Version.Version);
        Assert.NotEqual(v0.VersionEtag, data.Version.VersionEtag);

        var row = await Table.ReadRow("a");
        Assert.Equal([(Entry("a"), etag)], row.Members);
        Assert.Equal(data.Version, row.Version);
    }

    [Fact]
    public async Task A_second_insert_of_the_same_silo_is_refused()
    {
        Assert.True(await Table.InsertRow(Entry("a"), (await Table.ReadAll()).Version.Next()));
        var before = await Table.ReadAll();

        Assert.False(await Table.InsertRow(Entry("a", SiloStatus.Active), before.Version.Next()));
        var after = await Table.ReadAll();
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(SiloStatus.Joining, Assert.Single(after.Members).Entry.Status);
    }

    [Fact]
    public async Task An_insert_with_a_stale_table_version_is_refused()
    {
        var v0 = (await Table.ReadAll()).Version;
        Assert.True(await Table.InsertRow(Entry("a"), v0.Next()));

        Assert.False(await Table.InsertRow(Entry("b"), v0.Next()));
        Assert.Single((await Table.ReadAll()).Members);
    }

    [Fact]
    public async Task Update_replaces_the_row_only_with_the_current_row_etag_and_table_version()
    {
        Assert.True(await Table.InsertRow(Entry("a"), (await Table.ReadAll()).Version.Next()));
        Assert.True(await Table.InsertRow(Entry("b"), (await Table.ReadAll()).Version.Next()));
        var read = await Table.ReadRow("a");
        var etag = read.Members[0].ETag;

        Assert.True(await Table.UpdateRow(Entry("a", SiloStatus.Active), etag, read.Version.Next()));
        var after = await Table.ReadRow("a");
        Assert.Equal(SiloStatus.Active, after.Members[0].Entry.Status);
        Assert.NotEqual(etag, after.Members[0].ETag);
        Assert.Equal(3, after.Version.Version);

        // Stale row ETag (with a current table version).
        Assert.False(await Table.UpdateRow(Entry("a", SiloStatus.Dead), etag, after.Version.Next()));
        // Stale table version (with a current row ETag).
        Assert.False(await Table.UpdateRow(Entry("a", SiloStatus.Dead), after.Members[0].ETag, read.Version.Next()));
        // A row that does not exist.
        Assert.False(await Table.UpdateRow(Entry("zz", SiloStatus.Dead), after.Members[0].ETag, after.Version.Next()));

        var final = await Table.ReadAll();
        Assert.Equal(3, final.Version.Version);
        Assert.Equal(SiloStatus.Active, final.Members.Single(m => m.Entry.SiloId == "a").Entry.Status);
    }

    [Fact]
    public async Task IAmAlive_changes_only_the_time_keeping_status_etag_and_version()
    {
        Assert.True(await Table.InsertRow(Entry("a", SiloStatus.Active), (await Table.ReadAll()).Version.Next()));
        var before = await Table.ReadRow("a");

        await Table.UpdateIAmAlive(Entry("a", SiloStatus.Dead, alive: T0.AddSeconds(30)) with { Address = "http://elsewhere:1" });

        var after = await Table.ReadRow("a");
        var (entry, etag) = Assert.Single(after.Members);
        Assert.Equal(Entry("a", SiloStatus.Active, alive: T0.AddSeconds(30)), entry);
        Assert.Equal(before.Members[0].ETag, etag);
        Assert.Equal(before.Version, after.Version);
    }

    [Fact]
    public async Task IAmAlive_for_a_missing_row_throws()
    {
        var ex = await Assert.ThrowsAsync<SiloRowNotFoundException>(() => Table.UpdateIAmAlive(Entry("ghost")));
        Assert.Equal("ghost", ex.SiloId);
        Assert.Empty((await Table.ReadAll()).Members);
    }

    [Fact]
    public async Task Cleanup_deletes_only_dead_rows_older_than_the_date()
    {
        foreach (var entry in new[]
                 {
                     Entry("old-dead", SiloStatus.Dead, T0), Entry("new-dead", SiloStatus.Dead, T0.AddHours(2)),
                     Entry("old-active", SiloStatus.Active, T0),
                 })
        {
            Assert.True(await Table.InsertRow(entry, (await Table.ReadAll()).Version.Next()));
        }

        await Table.CleanupDefunctSiloEntries(T0.AddHours(1));

        Assert.Equal(["new-dead", "old-active"], (await Table.ReadAll()).Members.Select(m => m.Entry.SiloId));
    }

    [Fact]
    public async Task Rows_are_read_in_silo_id_order()
    {
        foreach (var id in new[] { "c", "a", "b" })
        {
            Assert.True(await Table.InsertRow(Entry(id), (await Table.ReadAll()).Version.Next()));
        }
        Assert.Equal(["a", "b", "c"], (await Table.ReadAll()).Members.Select(m => m.Entry.SiloId));
    }

    [Fact]
    public async Task Of_concurrent_inserts_against_one_version_exactly_one_succeeds()
    {
        var version = (await Table.ReadAll()).Version;
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => Table.InsertRow(Entry($"s{i}"), version.Next()))));

        Assert.Equal(1, results.Count(r => r));
        Assert.Single((await Table.ReadAll()).Members);
        Assert.Equal(1, (await Table.ReadAll()).Version.Version);
    }
}
