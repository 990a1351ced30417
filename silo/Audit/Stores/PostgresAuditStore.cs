using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Parley.Silo.Audit.Stores;

/// <summary>The cluster store: every silo writes its chain to one PostgreSQL database. A batch is one transaction: a
/// binary COPY into a temporary staging table, then <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> (so a replayed or
/// retried batch adds only what is missing) and the chain head's upsert.</summary>
internal sealed class PostgresAuditStore(NpgsqlDataSource dataSource) : IAuditStore, IAsyncDisposable
{
    public PostgresAuditStore(string connectionString)
        : this(NpgsqlDataSource.Create(connectionString))
    {
    }

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS audit_records (
                silo text NOT NULL, seq bigint NOT NULL, time_us bigint NOT NULL, request_id text NOT NULL,
                user_id text NOT NULL, key_id text NOT NULL, method text NOT NULL, route text NOT NULL,
                model text, deployment text, prompt_tokens integer, completion_tokens integer, cost_micros bigint,
                status integer NOT NULL, error_code text, latency_us bigint NOT NULL, conversation_id text,
                replay boolean NOT NULL, policy text, excerpt text, hash bytea NOT NULL,
                PRIMARY KEY (silo, seq));
            CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time_us, silo, seq);
            CREATE TABLE IF NOT EXISTS audit_chains (
                silo text PRIMARY KEY, first_seq bigint NOT NULL, first_prev_hash bytea NOT NULL,
                last_seq bigint NOT NULL, last_hash bytea NOT NULL);
            """);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Two silos creating the tables at once: the other one won.
        }
    }

    public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var staging = new NpgsqlCommand("CREATE TEMP TABLE audit_staging (LIKE audit_records) ON COMMIT DROP", connection, transaction))
        {
            await staging.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY audit_staging ({AuditSql.Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken)
            .ConfigureAwait(false))
        {
            // Synchronous writes into the importer's buffer (it sends a full buffer as it goes): this is the background
            // writer, and an awaited call per field would cost more than the field.
            foreach (var r in records)
            {
                copy.StartRow();
                copy.Write(r.Silo, NpgsqlDbType.Text);
                copy.Write(r.Seq, NpgsqlDbType.Bigint);
                copy.Write(r.TimeUs, NpgsqlDbType.Bigint);
                copy.Write(r.RequestId, NpgsqlDbType.Text);
                copy.Write(r.UserId, NpgsqlDbType.Text);
                copy.Write(r.KeyId, NpgsqlDbType.Text);
                copy.Write(r.Method, NpgsqlDbType.Text);
                copy.Write(r.Route, NpgsqlDbType.Text);
                WriteNullable(copy, r.Model, NpgsqlDbType.Text);
                WriteNullable(copy, r.Deployment, NpgsqlDbType.Text);
                WriteNullable(copy, r.PromptTokens, NpgsqlDbType.Integer);
                WriteNullable(copy, r.CompletionTokens, NpgsqlDbType.Integer);
                WriteNullable(copy, r.CostMicros, NpgsqlDbType.Bigint);
                copy.Write(r.Status, NpgsqlDbType.Integer);
                WriteNullable(copy, r.ErrorCode, NpgsqlDbType.Text);
                copy.Write(r.LatencyUs, NpgsqlDbType.Bigint);
                WriteNullable(copy, r.ConversationId, NpgsqlDbType.Text);
                copy.Write(r.Replay, NpgsqlDbType.Boolean);
                WriteNullable(copy, r.Policy, NpgsqlDbType.Text);
                WriteNullable(copy, r.Excerpt, NpgsqlDbType.Text);
                copy.Write(r.Hash, NpgsqlDbType.Bytea);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"INSERT INTO audit_records ({AuditSql.Columns}) SELECT {AuditSql.Columns} FROM audit_staging ON CONFLICT (silo, seq) DO NOTHING"));
            foreach (var (silo, seq, hash) in AuditSql.Heads(records))
            {
                var head = new NpgsqlBatchCommand("""
                    INSERT INTO audit_chains (silo, first_seq, first_prev_hash, last_seq, last_hash) VALUES ($1, 1, $2, $3, $4)
                    ON CONFLICT (silo) DO UPDATE SET
                        last_hash = CASE WHEN excluded.last_seq > audit_chains.last_seq THEN excluded.last_hash ELSE audit_chains.last_hash END,
                        last_seq = GREATEST(excluded.last_seq, audit_chains.last_seq)
                    """);
                head.Parameters.Add(new NpgsqlParameter<string> { TypedValue = silo });
                head.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = AuditCodec.GenesisHash.ToArray() });
                head.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
                head.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
                batch.BatchCommands.Add(head);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<AuditRecord> QueryAsync(AuditFilter filter, int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var where = AuditSql.Where(filter, command);
        command.CommandText = $"SELECT {AuditSql.Columns} FROM audit_records{where} ORDER BY time_us DESC, silo DESC, seq DESC LIMIT @limit";
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return AuditSql.Read(reader);
        }
    }

    public async Task<IReadOnlyList<AuditChain>> GetChainsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT silo, first_seq, first_prev_hash, last_seq, last_hash FROM audit_chains ORDER BY silo");
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
        await using var command = dataSource.CreateCommand($"SELECT {AuditSql.Columns} FROM audit_records WHERE silo = $1 AND seq >= $2 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = silo });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromSeq });
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
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            deleted += await AuditRetention.CutAsync(connection, transaction, chain.Silo, cutoffUs, lockChainRow: true, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        return deleted;
    }

    private static void WriteNullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
        where T : class
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, type);
        }
    }

    private static void WriteNullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
        where T : struct
    {
        if (value is { } v)
        {
            copy.Write(v, type);
        }
        else
        {
            copy.WriteNull();
        }
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
