using System.Data.Common;
using System.Text;

namespace Parley.Silo.Audit.Stores;

/// <summary>The SQL both stores share: column order, the filter's WHERE clause, reading a row back into a record.</summary>
internal static class AuditSql
{
    public const string Columns = "silo, seq, time_us, request_id, user_id, key_id, method, route, model, deployment, prompt_tokens, completion_tokens, "
        + "cost_micros, status, error_code, latency_us, conversation_id, replay, policy, excerpt, hash";

    /// <summary>The WHERE clause (with a leading space, or empty) of a filter, adding its parameters to the command.</summary>
    public static string Where(AuditFilter filter, DbCommand command)
    {
        var sql = new StringBuilder();
        void Add(string condition)
            => sql.Append(sql.Length == 0 ? " WHERE " : " AND ").Append(condition);
        void Parameter(string name, object value)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        if (filter.FromUs is { } from)
        {
            Add("time_us >= @from");
            Parameter("from", from);
        }
        if (filter.ToUs is { } to)
        {
            Add("time_us < @to");
            Parameter("to", to);
        }
        if (filter.UserId is { } user)
        {
            Add("user_id = @user");
            Parameter("user", user);
        }
        if (filter.KeyId is { } key)
        {
            Add("key_id = @key");
            Parameter("key", key);
        }
        if (filter.Model is { } model)
        {
            Add("model = @model");
            Parameter("model", model);
        }
        if (filter.Status is { } status)
        {
            Add("status = @status");
            Parameter("status", status);
        }
        if (filter.ConversationId is { } conversation)
        {
            Add("conversation_id = @conversation");
            Parameter("conversation", conversation);
        }
        if (filter.After is { } after)
        {
            Add("(time_us, silo, seq) < (@ct, @cs, @cq)");
            Parameter("ct", after.TimeUs);
            Parameter("cs", after.Silo);
            Parameter("cq", after.Seq);
        }
        return sql.ToString();
    }

    /// <summary>Reads a row selected with <see cref="Columns"/>.</summary>
    public static AuditRecord Read(DbDataReader reader) => new()
    {
        Silo = reader.GetString(0),
        Seq = reader.GetInt64(1),
        TimeUs = reader.GetInt64(2),
        RequestId = reader.GetString(3),
        UserId = reader.GetString(4),
        KeyId = reader.GetString(5),
        Method = reader.GetString(6),
        Route = reader.GetString(7),
        Model = reader.IsDBNull(8) ? null : reader.GetString(8),
        Deployment = reader.IsDBNull(9) ? null : reader.GetString(9),
        PromptTokens = reader.IsDBNull(10) ? null : reader.GetInt32(10),
        CompletionTokens = reader.IsDBNull(11) ? null : reader.GetInt32(11),
        CostMicros = reader.IsDBNull(12) ? null : reader.GetInt64(12),
        Status = reader.GetInt32(13),
        ErrorCode = reader.IsDBNull(14) ? null : reader.GetString(14),
        LatencyUs = reader.GetInt64(15),
        ConversationId = reader.IsDBNull(16) ? null : reader.GetString(16),
        Replay = reader.GetBoolean(17),
        Policy = reader.IsDBNull(18) ? null : reader.GetString(18),
        Excerpt = reader.IsDBNull(19) ? null : reader.GetString(19),
        Hash = (byte[])reader.GetValue(20),
    };

    /// <summary>Each chain of a batch with its highest record: the head to advance.</summary>
    public static IEnumerable<(string Silo, long Seq, byte[] Hash)> Heads(IReadOnlyList<AuditRecord> records)
    {
        if (records.Count == 0)
        {
            yield break;
        }
        var first = records[0].Silo;
        var single = true;
        foreach (var record in records)
        {
            if (record.Silo != first)
            {
                single = false;
                break;
            }
        }
        if (single)
        {
            var top = records[0];
            foreach (var record in records)
            {
                if (record.Seq > top.Seq)
                {
                    top = record;
                }
            }
            yield return (top.Silo, top.Seq, top.Hash);
            yield break;
        }
        foreach (var group in records.GroupBy(r => r.Silo, StringComparer.Ordinal))
        {
            var top = group.MaxBy(r => r.Seq)!;
            yield return (top.Silo, top.Seq, top.Hash);
        }
    }
}
