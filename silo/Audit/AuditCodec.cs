using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Parley.Silo.Audit;

/// <summary>The one JSON shape of a record: its canonical encoding (what the chain hashes: every field in a fixed order,
/// nulls written, no whitespace), and the same object with its <c>hash</c> appended, which is a spool line, a line of an
/// export and an item of a query. Anyone can check an export offline with the same rule.</summary>
public static class AuditCodec
{
    public const int HashLength = 32;

    /// <summary>The hash before a chain's first record.</summary>
    public static ReadOnlySpan<byte> GenesisHash => new byte[HashLength];

    private static readonly JsonWriterOptions Options = new() { Indented = false, SkipValidation = true };

    /// <summary>Writes the record's fields (without <c>hash</c>) as one object, or, with <paramref name="withHash"/>, the
    /// object with the hash appended as lowercase hex.</summary>
    public static void Write(Utf8JsonWriter writer, AuditRecord record, bool withHash)
    {
        writer.WriteStartObject();
        writer.WriteString("silo"u8, record.Silo);
        writer.WriteNumber("seq"u8, record.Seq);
        writer.WriteNumber("time_us"u8, record.TimeUs);
        writer.WriteString("request_id"u8, record.RequestId);
        writer.WriteString("user_id"u8, record.UserId);
        writer.WriteString("key_id"u8, record.KeyId);
        writer.WriteString("method"u8, record.Method);
        writer.WriteString("route"u8, record.Route);
        WriteOrNull(writer, "model"u8, record.Model);
        WriteOrNull(writer, "deployment"u8, record.Deployment);
        WriteOrNull(writer, "prompt_tokens"u8, record.PromptTokens);
        WriteOrNull(writer, "completion_tokens"u8, record.CompletionTokens);
        WriteOrNull(writer, "cost_micros"u8, record.CostMicros);
        writer.WriteNumber("status"u8, record.Status);
        WriteOrNull(writer, "error_code"u8, record.ErrorCode);
        writer.WriteNumber("latency_us"u8, record.LatencyUs);
        WriteOrNull(writer, "conversation_id"u8, record.ConversationId);
        writer.WriteBoolean("replay"u8, record.Replay);
        WriteOrNull(writer, "policy"u8, record.Policy);
        WriteOrNull(writer, "excerpt"u8, record.Excerpt);
        if (withHash)
        {
            Span<char> hex = stackalloc char[HashLength * 2];
            Convert.TryToHexStringLower(record.Hash, hex, out _);
            writer.WriteString("hash"u8, hex);
        }
        writer.WriteEndObject();
    }

    /// <summary>The record's hash given the previous one: SHA-256(previous ‖ canonical encoding).</summary>
    public static byte[] ComputeHash(ReadOnlySpan<byte> previous, AuditRecord record, ArrayBufferWriter<byte> buffer, ref Utf8JsonWriter? writer)
    {
        buffer.ResetWrittenCount();
        buffer.Write(previous);
        if (writer is null)
        {
            writer = new Utf8JsonWriter(buffer, Options);
        }
        else
        {
            writer.Reset(buffer);
        }
        Write(writer, record, withHash: false);
        writer.Flush();
        return SHA256.HashData(buffer.WrittenSpan);
    }

    /// <summary>Convenience for verification and tests: the hash with fresh buffers.</summary>
    public static byte[] ComputeHash(ReadOnlySpan<byte> previous, AuditRecord record)
    {
        Utf8JsonWriter? writer = null;
        var hash = ComputeHash(previous, record, new ArrayBufferWriter<byte>(1024), ref writer);
        writer?.Dispose();
        return hash;
    }

    /// <summary>One line of a spool or an export: the record with its hash, then <c>\n</c>.</summary>
    public static void WriteLine(IBufferWriter<byte> output, AuditRecord record, ref Utf8JsonWriter? writer)
    {
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output, Options);
        }
        else
        {
            writer.Reset(output);
        }
        Write(writer, record, withHash: true);
        writer.Flush();
        output.Write("\n"u8);
    }

    /// <summary>Reads a record written by <see cref="Write"/> with its hash. Throws <see cref="JsonException"/> or
    /// <see cref="FormatException"/> on anything else (a torn last line of a spool).</summary>
    public static AuditRecord Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var record = new AuditRecord();
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An audit record is a JSON object.");
        }
        var hashSeen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            var isNull = reader.TokenType == JsonTokenType.Null;
            switch (name)
            {
                case "silo": record.Silo = reader.GetString()!; break;
                case "seq": record.Seq = reader.GetInt64(); break;
                case "time_us": record.TimeUs = reader.GetInt64(); break;
                case "request_id": record.RequestId = reader.GetString()!; break;
                case "user_id": record.UserId = reader.GetString()!; break;
                case "key_id": record.KeyId = reader.GetString()!; break;
                case "method": record.Method = reader.GetString()!; break;
                case "route": record.Route = reader.GetString()!; break;
                case "model": record.Model = isNull ? null : reader.GetString(); break;
                case "deployment": record.Deployment = isNull ? null : reader.GetString(); break;
                case "prompt_tokens": record.PromptTokens = isNull ? null : reader.GetInt32(); break;
                case "completion_tokens": record.CompletionTokens = isNull ? null : reader.GetInt32(); break;
                case "cost_micros": record.CostMicros = isNull ? null : reader.GetInt64(); break;
                case "status": record.Status = reader.GetInt32(); break;
                case "error_code": record.ErrorCode = isNull ? null : reader.GetString(); break;
                case "latency_us": record.LatencyUs = reader.GetInt64(); break;
                case "conversation_id": record.ConversationId = isNull ? null : reader.GetString(); break;
                case "replay": record.Replay = reader.GetBoolean(); break;
                case "policy": record.Policy = isNull ? null : reader.GetString(); break;
                case "excerpt": record.Excerpt = isNull ? null : reader.GetString(); break;
                case "hash":
                    record.Hash = Convert.FromHexString(reader.GetString()!);
                    hashSeen = true;
                    break;
                default:
                    throw new JsonException($"Unknown audit field '{name}'.");
            }
        }
        if (!hashSeen || record.Hash.Length != HashLength || reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("An incomplete audit record.");
        }
        return record;
    }

    private static void WriteOrNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteOrNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
