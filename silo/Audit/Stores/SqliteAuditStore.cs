using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Parley.Silo.Audit.Stores;

/// <summary>The embedded store: one SQLite file (WAL), several silo processes may share it. A batch is one transaction
/// of prepared <c>INSERT OR IGNORE</c>s plus the chain head's upsert.</summary>
internal sealed class SqliteAuditStore(string path) : IAuditStore
{
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
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT OR IGNORE INTO audit_records ({AuditSql.Columns}) VALUES "
                + "(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18, @p19, @p20)";
            var parameters = new SqliteParameter[21];
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i] = insert.Parameters.Add("@p" + i, i switch
                {
                    1 or 2 or 10 or 11 or 12 or 13 or 15 or 17 => SqliteType.Integer,
                    20 => SqliteType.Blob,
                    _ => SqliteType.Text,
                });
            }
            insert.Prepare();
            foreach (var r in records)
            {
                parameters[0].Value = r.Silo;
                parameters[1].Value = r.Seq;
                parameters[2].Value = r.TimeUs;
                parameters[3].Value = r.RequestId;
                parameters[4].Value = r.UserId;
                parameters[5].Value = r.KeyId;
                parameters[6].Value = r.Method;
                parameters[7].Value = r.Route;
                parameters[8].Value = (object?)r.Model ?? DBNull.Value;
                parameters[9].Value = (object?)r.Deployment ?? DBNull.Value;
                parameters[10].Value = (object?)r.PromptTokens ?? DBNull.Value;
                parameters[11].Value = (object?)r.CompletionTokens ?? DBNull.Value;
                parameters[12].Value = (object?)r.CostMicros ?? DBNull.Value;
                parameters[13].Value = r.Status;
                parameters[14].Value = (object?)r.ErrorCode ?? DBNull.Value;
                parameters[15].Value = r.LatencyUs;
                parameters[16].Value = (object?)r.ConversationId ?? DBNull.Value;
                parameters[17].Value = r.Replay ? 1 : 0;
                parameters[18].Value = (object?)r.Policy ?? DBNull.Value;
                parameters[19].Value = (object?)r.Excerpt ?? DBNull.Value;
                parameters[20].Value = r.Hash;
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var (silo, seq, hash) in AuditSql.Heads(records))
        {
            await using var head = connection.CreateCommand();
            head.Transaction = transaction;
            head.CommandText = """
                INSERT INTO audit_chains (silo, first_seq, first_prev_hash, last_seq, last_hash) VALUES (@silo, 1, @genesis, @seq, @hash)
                ON CONFLICT (silo) DO UPDATE SET
                    last_hash = CASE WHEN excluded.last_seq > audit_chains.last_seq THEN excluded.last_hash ELSE audit_chains.last_hash END,
                    last_seq = max(excluded.last_seq, audit_chains.last_seq)
                """;
            head.Parameters.AddWithValue("@silo", silo);
            head.Parameters.AddWithValue("@genesis", AuditCodec.GenesisHash.ToArray());
            head.Parameters.AddWithValue("@seq", seq);
            head.Parameters.AddWithValue("@hash", hash);
            await head.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
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
}
