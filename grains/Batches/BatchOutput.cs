using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Parley.Grains.Batches;

/// <summary>Lines of the output and error files in OpenAI's format:
/// <c>{"id":"batch_req_…","custom_id":…,"response":{"status_code":…,"request_id":…,"body":…},"error":null}</c>, or
/// <c>"response":null,"error":{"code":…,"message":…}</c> for a line that got no answer.</summary>
public static class BatchOutput
{
    public const string InterruptedCode = "line_interrupted";
    public const string FailedCode = "line_failed";
    public const string CancelledCode = "batch_cancelled";
    public const string ExpiredCode = "batch_expired";

    /// <summary>The line's id in the output, also its request id: the same on every silo and every attempt.</summary>
    public static string RequestId(string batchId, int line)
        => "batch_req_" + Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(batchId + "#" + line)));

    /// <summary>The id of a batch's output or error file: fixed, so writing the files again after a crash replaces them.</summary>
    public static string FileId(string batchId, string kind)
        => "file-" + Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(batchId + "#" + kind)));

    public static byte[] Response(string batchId, int line, string customId, int statusCode, string requestId, byte[] body)
        => Write(batchId, line, customId, writer =>
        {
            writer.WriteStartObject("response");
            writer.WriteNumber("status_code", statusCode);
            writer.WriteString("request_id", requestId);
            writer.WritePropertyName("body");
            if (IsJson(body))
            {
                writer.WriteRawValue(body, skipInputValidation: true);
            }
            else
            {
                writer.WriteStringValue(Encoding.UTF8.GetString(body));
            }
            writer.WriteEndObject();
            writer.WriteNull("error");
        });

    public static byte[] Error(string batchId, int line, string customId, string code, string message)
        => Write(batchId, line, customId, writer =>
        {
            writer.WriteNull("response");
            writer.WriteStartObject("error");
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        });

    private static byte[] Write(string batchId, int line, string customId, Action<Utf8JsonWriter> rest)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", RequestId(batchId, line));
            writer.WriteString("custom_id", customId);
            rest(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool IsJson(byte[] body)
    {
        if (body.Length == 0)
        {
            return false;
        }
        var reader = new Utf8JsonReader(body);
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A JSON Lines file of <paramref name="lines"/>, each ended by a newline.</summary>
    public static byte[] File(IEnumerable<byte[]> lines)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var line in lines)
        {
            buffer.Write(line);
            buffer.Write("\n"u8);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
