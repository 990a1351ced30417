using Microsoft.Data.Sqlite;

namespace Parley.Silo.Audit.Stores;

/// <summary>The SQLite audit writer's connection with its two statements prepared once: the record insert and the chain
/// head's upsert. Each batch binds and steps them inside one transaction.</summary>
internal sealed class SqliteAuditWriteSession : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter[] _record;
    private readonly SqliteCommand _head;
    private readonly SqliteParameter _headSilo;
    private readonly SqliteParameter _headSeq;
    private readonly SqliteParameter _headHash;

    private SqliteAuditWriteSession(SqliteConnection connection)
    {
        _connection = connection;
        _insert = connection.CreateCommand();
        _insert.CommandText = $"INSERT OR IGNORE INTO audit_records ({AuditSql.Columns}) VALUES "
            + "(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18, @p19, @p20)";
        _record = new SqliteParameter[21];
        for (var i = 0; i < _record.Length; i++)
        {
            _record[i] = _insert.Parameters.Add("@p" + i, i switch
            {
                1 or 2 or 10 or 11 or 12 or 13 or 15 or 17 => SqliteType.Integer,
                20 => SqliteType.Blob,
                _ => SqliteType.Text,
            });
        }
        _head = connection.CreateCommand();
        _head.CommandText = """
            INSERT INTO audit_chains (silo, first_seq, first_prev_hash, last_seq, last_hash) VALUES (@silo, 1, @genesis, @seq, @hash)
            ON CONFLICT (silo) DO UPDATE SET
                last_hash = CASE WHEN excluded.last_seq > audit_chains.last_seq THEN excluded.last_hash ELSE audit_chains.last_hash END,
                last_seq = max(excluded.last_seq, audit_chains.last_seq)
            """;
        _headSilo = _head.Parameters.Add("@silo", SqliteType.Text);
        _head.Parameters.Add("@genesis", SqliteType.Blob).Value = AuditCodec.GenesisHash.ToArray();
        _headSeq = _head.Parameters.Add("@seq", SqliteType.Integer);
        _headHash = _head.Parameters.Add("@hash", SqliteType.Blob);
    }

    /// <summary>Takes over <paramref name="connection"/> (disposed with the session, or here if preparing fails).</summary>
    public static async Task<SqliteAuditWriteSession> OpenAsync(SqliteConnection connection)
    {
        // The constructor only creates the commands and their parameters; preparing is what can fail.
        var session = new SqliteAuditWriteSession(connection);
        try
        {
            session._insert.Prepare();
            session._head.Prepare();
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        _insert.Transaction = transaction;
        _head.Transaction = transaction;
        var p = _record;
        foreach (var r in records)
        {
            p[0].Value = r.Silo;
            p[1].Value = r.Seq;
            p[2].Value = r.TimeUs;
            p[3].Value = r.RequestId;
            p[4].Value = r.UserId;
            p[5].Value = r.KeyId;
            p[6].Value = r.Method;
            p[7].Value = r.Route;
            p[8].Value = (object?)r.Model ?? DBNull.Value;
            p[9].Value = (object?)r.Deployment ?? DBNull.Value;
            p[10].Value = (object?)r.PromptTokens ?? DBNull.Value;
            p[11].Value = (object?)r.CompletionTokens ?? DBNull.Value;
            p[12].Value = (object?)r.CostMicros ?? DBNull.Value;
            p[13].Value = r.Status;
            p[14].Value = (object?)r.ErrorCode ?? DBNull.Value;
            p[15].Value = r.LatencyUs;
            p[16].Value = (object?)r.ConversationId ?? DBNull.Value;
            p[17].Value = r.Replay ? 1 : 0;
            p[18].Value = (object?)r.Policy ?? DBNull.Value;
            p[19].Value = (object?)r.Excerpt ?? DBNull.Value;
            p[20].Value = r.Hash;
            await _insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var (silo, seq, hash) in AuditSql.Heads(records))
        {
            _headSilo.Value = silo;
            _headSeq.Value = seq;
            _headHash.Value = hash;
            await _head.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _insert.DisposeAsync().ConfigureAwait(false);
        await _head.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
