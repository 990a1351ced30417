using System.Data.Common;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Parley.Silo.Audit;
using Parley.Silo.Audit.Stores;
using Xunit;

namespace Parley.Silo.Tests.Audit;

/// <summary>What every audit store must do, run against SQLite and a real PostgreSQL: every field round-trips, a
/// batch written again (a replay) stores nothing twice, filters and the keyset cursor page exactly, verification finds
/// an altered, deleted or reordered record and a cut tail, and retention keeps the rest verifiable.</summary>
public abstract class AuditStoreContract
{
    protected const string Silo = "127.0.0.1:11111@1";

    protected abstract Task<IAuditStore> CreateStoreAsync();

    /// <summary>Runs SQL on the store's database behind its back (what someone tampering would do).</summary>
    protected abstract Task ExecuteAsync(string sql);

    private static string Json(AuditRecord record)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            AuditCodec.Write(writer, record, withHash: true);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Every_record_is_stored_exactly_once_with_every_field_and_the_chain_verifies()
    {
        var store = await CreateStoreAsync();
        var chain = AuditTestData.Chain(Silo, 30);
        await store.WriteAsync(chain[..20], CancellationToken.None);
        await store.WriteAsync(chain[10..], CancellationToken.None);
        await store.WriteAsync(chain, CancellationToken.None);

        var stored = (await AuditTestData.AllAsync(store)).OrderBy(r => r.Seq).ToList();

        Assert.Equal(chain.Select(Json), stored.Select(Json));
        var verdict = await AuditTestData.VerifyAsync(store, Silo);
        Assert.Equal(new AuditChainVerdict(Silo, true, 1, 30, 30, null, null), verdict);
    }

    [Fact]
    public async Task A_failed_batch_does_not_stop_the_store_writing_the_next_one()
    {
        var store = await CreateStoreAsync();
        var chain = AuditTestData.Chain(Silo, 30);
        await store.WriteAsync(chain[..10], CancellationToken.None);
        await ExecuteAsync("DROP TABLE audit_records");

        await Assert.ThrowsAnyAsync<DbException>(() => store.WriteAsync(chain[10..20], CancellationToken.None));
        await store.EnsureSchemaAsync(CancellationToken.None);
        await store.WriteAsync(chain[20..], CancellationToken.None);

        Assert.Equal(chain[20..].Select(r => r.Seq), (await AuditTestData.AllAsync(store)).Select(r => r.Seq).Order());
    }

    [Fact]
    public async Task Filters_and_the_cursor_page_through_exactly_the_matching_records_newest_first()
    {
        var store = await CreateStoreAsync();
        var chain = AuditTestData.Chain(Silo, 90);
        await store.WriteAsync(chain, CancellationToken.None);
        var filter = new AuditFilter { UserId = "user-1", Model = "sim-large", FromUs = chain[5].TimeUs, ToUs = chain[80].TimeUs };
        var expected = chain.Where(r => r.UserId == "user-1" && r.Model == "sim-large" && r.TimeUs >= chain[5].TimeUs && r.TimeUs < chain[80].TimeUs)
            .OrderByDescending(r => r.TimeUs).Select(r => r.Seq).ToList();

        var pages = new List<List<long>>();
        var cursorFilter = filter;
        while (true)
        {
            var page = new List<AuditRecord>();
            await foreach (var record in store.QueryAsync(cursorFilter, 4, CancellationToken.None))
            {
                page.Add(record);
            }
            pages.Add(page.Select(r => r.Seq).ToList());
            if (page.Count < 4)
            {
                break;
            }
            cursorFilter = filter with { After = new AuditCursor(page[^1].TimeUs, page[^1].Silo, page[^1].Seq) };
        }

        Assert.Equal(13, expected.Count);
        Assert.Equal(expected, pages.SelectMany(p => p));
        Assert.Equal([4, 4, 4, 1], pages.Select(p => p.Count));
        Assert.Equal(chain.Where(r => r.Status == 429).Select(r => r.Seq).Reverse(),
            (await AuditTestData.AllAsync(store, new AuditFilter { Status = 429 })).Select(r => r.Seq));
        Assert.Equal([9L], (await AuditTestData.AllAsync(store, new AuditFilter { ConversationId = chain[8].ConversationId })).Select(r => r.Seq));
        Assert.Equal(chain.Where(r => r.KeyId == "key-2").Select(r => r.Seq).Reverse(),
            (await AuditTestData.AllAsync(store, new AuditFilter { KeyId = "key-2" })).Select(r => r.Seq));
    }

    [Fact]
    public async Task Verification_reports_an_altered_record()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync(AuditTestData.Chain(Silo, 20), CancellationToken.None);

        await ExecuteAsync($"UPDATE audit_records SET status = 200, error_code = NULL WHERE silo = '{Silo}' AND seq = 10");

        Assert.Equal(new AuditChainVerdict(Silo, false, 1, 20, 9, 10, "altered"), await AuditTestData.VerifyAsync(store, Silo));
    }

    [Fact]
    public async Task Verification_reports_a_deleted_record()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync(AuditTestData.Chain(Silo, 20), CancellationToken.None);

        await ExecuteAsync($"DELETE FROM audit_records WHERE silo = '{Silo}' AND seq = 12");

        Assert.Equal(new AuditChainVerdict(Silo, false, 1, 20, 11, 12, "missing"), await AuditTestData.VerifyAsync(store, Silo));
    }

    [Fact]
    public async Task Verification_reports_reordered_records()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync(AuditTestData.Chain(Silo, 20), CancellationToken.None);

        await ExecuteAsync($"UPDATE audit_records SET seq = -4 WHERE silo = '{Silo}' AND seq = 4");
        await ExecuteAsync($"UPDATE audit_records SET seq = 4 WHERE silo = '{Silo}' AND seq = 3");
        await ExecuteAsync($"UPDATE audit_records SET seq = 3 WHERE silo = '{Silo}' AND seq = -4");

        Assert.Equal(new AuditChainVerdict(Silo, false, 1, 20, 2, 3, "altered"), await AuditTestData.VerifyAsync(store, Silo));
    }

    [Fact]
    public async Task Verification_reports_a_cut_tail()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync(AuditTestData.Chain(Silo, 20), CancellationToken.None);

        await ExecuteAsync($"DELETE FROM audit_records WHERE silo = '{Silo}' AND seq >= 18");

        Assert.Equal(new AuditChainVerdict(Silo, false, 1, 20, 17, 18, "missing"), await AuditTestData.VerifyAsync(store, Silo));
    }

    [Fact]
    public async Task Retention_deletes_old_records_and_the_rest_of_the_chain_still_verifies()
    {
        var store = await CreateStoreAsync();
        const long Day = 86_400_000_000;
        var now = AuditTestData.BaseTimeUs + 100 * Day;
        // Records 1-25 are 40 days old, 26-50 a day old; 41-50 arrive after the cut.
        var chain = AuditTestData.Chain(Silo, 50, i => i <= 25 ? now - 40 * Day + i : now - Day + i);
        await store.WriteAsync(chain[..40], CancellationToken.None);

        Assert.Equal(25, await store.ApplyRetentionAsync(now - 30 * Day, CancellationToken.None));
        Assert.Equal(0, await store.ApplyRetentionAsync(now - 30 * Day, CancellationToken.None));
        await store.WriteAsync(chain[40..], CancellationToken.None);

        Assert.Equal(Enumerable.Range(26, 25).Select(i => (long)i), (await AuditTestData.AllAsync(store)).Select(r => r.Seq).Order());
        Assert.Equal(new AuditChainVerdict(Silo, true, 26, 50, 25, null, null), await AuditTestData.VerifyAsync(store, Silo));
        await ExecuteAsync($"DELETE FROM audit_records WHERE silo = '{Silo}' AND seq = 26");
        Assert.Equal(new AuditChainVerdict(Silo, false, 26, 50, 0, 26, "missing"), await AuditTestData.VerifyAsync(store, Silo));
    }
}

public sealed class SqliteAuditStoreTests : AuditStoreContract, IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("parley-audit-test-").FullName;
    private readonly List<SqliteAuditStore> _stores = [];
    private string _path = "";

    protected override async Task<IAuditStore> CreateStoreAsync()
    {
        _path = Path.Combine(_directory, "audit.db");
        var store = new SqliteAuditStore(_path);
        _stores.Add(store);
        await store.EnsureSchemaAsync(CancellationToken.None);
        return store;
    }

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection("Data Source=" + _path);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgresAuditStoreTests(PostgresFixture postgres) : AuditStoreContract, IClassFixture<PostgresFixture>
{
    private string _connectionString = "";

    protected override async Task<IAuditStore> CreateStoreAsync()
    {
        _connectionString = await postgres.NewDatabaseAsync();
        var store = new PostgresAuditStore(_connectionString);
        await store.EnsureSchemaAsync(CancellationToken.None);
        return store;
    }

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
