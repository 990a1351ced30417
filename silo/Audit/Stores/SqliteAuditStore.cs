using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Parley.Silo.Audit.Stores;

/// <summary>The embedded store: one SQLite file (WAL), several silo processes may share it. A batch is one transaction
/// of prepared <c>INSERT OR IGNORE</c>s plus the chain head's upsert, on a connection and statements the writer keeps
/// (<see cref="SqliteAuditWriteSession"/>): at low rates a batch is one record, and opening, setting up and parsing the
/// statements again would cost more than the insert.</summary>
internal sealed class SqliteAuditStore(string path) : IAuditStore, IAsyncDisposable
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private SqliteAuditWriteSession? _writer;

    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public string Path => path;

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS audit_records (
                silo TEXT NOT NULL, seq INTEGER NOT NULL, time_us INTEGER NOT NULL, request_id TEXT NOT NULL,
                user_id TEXT NOT NULL, key_id TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL,
                model TEXT, deployment TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, cost_micros INTEGER,
                status INTEGER NOT NULL, error_code TEXT, latency_us INTEGER NOT NULL, conversation_id TEXT,
                replay INTEGER NOT NULL, policy TEXT, excerpt TEXT, hash BLOB NOT NULL,
                PRIMARY KEY (silo, seq)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time_us, silo, seq);
            CREATE TABLE IF NOT EXISTS audit_chains (
                silo TEXT PRIMARY KEY, first_seq INTEGER NOT NULL, first_prev_hash BLOB NOT NULL,
                last_seq INTEGER NOT NULL, last_hash BLOB NOT NULL);
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _writer ??= await SqliteAuditWriteSession.OpenAsync(await OpenAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            await _writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The next batch starts on a fresh connection (the file may have been replaced, the disk may be back).
            await DisposeWriterAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async IAsyncEnumerable<AuditRecord> QueryAsync(AuditFilter filter, int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var where = AuditSql.Where(filter, command);
        command.CommandText = $"SELECT {AuditSql.Columns} FROM audit_records{where} ORDER BY time_us DESC, silo DESC, seq DESC LIMIT @limit";
        command.Parameters.AddWithValue("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return AuditSql.Read(reader);
        }
    }

    public async Task<IReadOnlyList<AuditChain>> GetChainsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT silo, first_seq, first_prev_hash, last_seq, last_hash FROM audit_chains ORDER BY silo";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var chains = new List<AuditChain>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            chains.Add(new AuditChain(reader.GetString(0), reader.GetInt64(1), (byte[])reader.GetValue(2), reader.GetInt64(3), (byte[])reader.GetValue(4)));
        }
        return chains;
    }

    public async IAsyncEnumerable<AuditRecord> ReadChainAsync(string silo, long fromSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {AuditSql.Columns} FROM audit_records WHERE silo = @silo AND seq >= @from ORDER BY seq";
        command.Parameters.AddWithValue("@silo", silo);
        command.Parameters.AddWithValue("@from", fromSeq);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return AuditSql.Read(reader);
        }
    }

    public async Task<long> ApplyRetentionAsync(long cutoffUs, CancellationToken cancellationToken)
    {
        long deleted = 0;
        foreach (var chain in await GetChainsAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            // IMMEDIATE: the write lock first, so the chain cannot move between reading its cut and deleting up to it.
            await using var transaction = connection.BeginTransaction(deferred: false);
            deleted += await AuditRetention.CutAsync(connection, transaction, chain.Silo, cutoffUs, lockChainRow: false, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        return deleted;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await DisposeWriterAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async ValueTask DisposeWriterAsync()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
