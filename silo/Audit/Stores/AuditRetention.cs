using System.Data.Common;

namespace Parley.Silo.Audit.Stores;

/// <summary>Retention of one chain, in the caller's transaction: the cut is just before the chain's first record that
/// is not older than the cutoff (its sequence order, not its times, decides: a chain is only ever cut at its start).
/// The records up to the cut are deleted and the chain's checkpoint becomes the hash of the last one deleted, so the
/// rest still verifies. A chain whose record at the cut is not stored yet (still spooled) is left for the next run.</summary>
internal static class AuditRetention
{
    public static async Task<long> CutAsync(DbConnection connection, DbTransaction transaction, string silo, long cutoffUs, bool lockChainRow,
        CancellationToken cancellationToken)
    {
        long firstSeq, lastSeq;
        await using (var chain = Command(connection, transaction, "SELECT first_seq, last_seq FROM audit_chains WHERE silo = @silo"
            + (lockChainRow ? " FOR UPDATE" : ""), silo))
        await using (var reader = await chain.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
            (firstSeq, lastSeq) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        long cut;
        await using (var newer = Command(connection, transaction,
            "SELECT min(seq) FROM audit_records WHERE silo = @silo AND seq >= @first AND time_us >= @cutoff", silo))
        {
            Add(newer, "first", firstSeq);
            Add(newer, "cutoff", cutoffUs);
            var value = await newer.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            cut = value is null or DBNull ? lastSeq : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) - 1;
        }
        if (cut < firstSeq)
        {
            return 0;
        }
        byte[] checkpoint;
        await using (var at = Command(connection, transaction, "SELECT hash FROM audit_records WHERE silo = @silo AND seq = @cut", silo))
        {
            Add(at, "cut", cut);
            if (await at.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not byte[] hash)
            {
                return 0;
            }
            checkpoint = hash;
        }
        long deleted;
        await using (var delete = Command(connection, transaction, "DELETE FROM audit_records WHERE silo = @silo AND seq <= @cut", silo))
        {
            Add(delete, "cut", cut);
            deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var update = Command(connection, transaction,
            "UPDATE audit_chains SET first_seq = @next, first_prev_hash = @checkpoint WHERE silo = @silo", silo))
        {
            Add(update, "next", cut + 1);
            Add(update, "checkpoint", checkpoint);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return deleted;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql, string silo)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Add(command, "silo", silo);
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
