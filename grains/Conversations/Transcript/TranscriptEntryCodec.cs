using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Grains.Conversations.Transcript;

/// <summary>The stored form of a <see cref="TranscriptEntry"/>: a small JSON header (id, role, token counts, parts, turn),
/// the record separator 0x1E, then the message's own UTF-8 JSON byte for byte. 0x1E cannot occur in JSON text (inside a
/// string it must be escaped), so the split is unambiguous, and the message is never re-encoded or escaped.</summary>
public static class TranscriptEntryCodec
{
    public const byte Separator = 0x1E;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Encode(TranscriptEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(96 + entry.Message.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, entry.Id);
            writer.WriteString("role"u8, entry.Role);
            if (entry.Tokens.O200k > 0 || entry.Tokens.Cl100k > 0)
            {
                writer.WriteStartArray("tok"u8);
                writer.WriteNumberValue(entry.Tokens.O200k);
                writer.WriteNumberValue(entry.Tokens.Cl100k);
                writer.WriteEndArray();
            }
            if (entry.Content is { } parts)
            {
                writer.WriteStartArray("parts"u8);
                foreach (var part in parts)
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(part.Type);
                    writer.WriteStringValue(part.Text);
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
            }
            if (entry.Turn is { } turn)
            {
                WriteTurn(writer, turn);
            }
            writer.WriteEndObject();
        }
        buffer.Write([Separator]);
        buffer.Write(entry.Message.Span);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Null for a removed entry (stored as an empty value). The entry's message is a slice of
    /// <paramref name="stored"/>, not a copy: the caller hands over memory nothing else writes to (a value read from the
    /// store, or one the store keeps unchanged).</summary>
    public static TranscriptEntry? Decode(ReadOnlyMemory<byte> stored, long seq)
    {
        if (stored.IsEmpty)
        {
            return null;
        }
        var split = stored.Span.IndexOf(Separator);
        if (split < 0)
        {
            throw new FormatException($"Transcript entry #{seq} has no header separator.");
        }
        var header = stored.Span[..split];
        var reader = new Utf8JsonReader(header);
        string? role = null;
        var hasId = false;
        var tokens = new TokenCounts();
        List<ConversationContentPart>? parts = null;
        Expect(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                role = ReadRole(ref reader);
            }
            else if (reader.ValueTextEquals("tok"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                tokens.O200k = ReadInt(ref reader);
                tokens.Cl100k = ReadInt(ref reader);
                Expect(ref reader, JsonTokenType.EndArray);
            }
            else if (reader.ValueTextEquals("parts"u8))
            {
                parts = ReadParts(ref reader);
            }
            else
            {
                // The id and the turn are decoded when first asked for (ReadId, ReadTurn); a field written by a newer
                // version is skipped, so entries stay readable across upgrades.
                hasId |= reader.ValueTextEquals("id"u8);
                Next(ref reader);
                reader.Skip();
            }
        }
        if (!hasId || role is null)
        {
            throw new FormatException($"Transcript entry #{seq} lacks its id or role.");
        }
        return new TranscriptEntry(seq, role, stored[(split + 1)..], stored[..split])
        {
            Content = parts,
            Tokens = tokens,
        };
    }

    /// <summary>The id in a stored header (one <see cref="Decode"/> has checked).</summary>
    internal static string ReadId(ReadOnlyMemory<byte> header, long seq)
    {
        var reader = new Utf8JsonReader(header.Span);
        return Seek(ref reader, "id"u8) ? ReadString(ref reader) : throw new FormatException($"Transcript entry #{seq} lacks its id.");
    }

    /// <summary>The turn in a stored header; null if it has none (or there is no header: an entry made in the grain).</summary>
    internal static TurnMark? ReadTurn(ReadOnlyMemory<byte> header)
        => SeekTurn(header, out var reader) ? ReadTurn(ref reader, header.Span) : null;

    /// <summary>The key of the turn in a stored header, the rest of the turn left undecoded.</summary>
    internal static string? ReadTurnKey(ReadOnlyMemory<byte> header)
    {
        if (!SeekTurn(header, out var reader))
        {
            return null;
        }
        return Seek(ref reader, "key"u8) ? ReadString(ref reader) : "";
    }

    /// <summary>A reader over <paramref name="header"/> at its <c>turn</c> property; false if it has none (or there is no
    /// header: an entry made in the grain).</summary>
    private static bool SeekTurn(ReadOnlyMemory<byte> header, out Utf8JsonReader reader)
    {
        reader = new Utf8JsonReader(header.Span);
        return !header.IsEmpty && Seek(ref reader, "turn"u8);
    }

    /// <summary>Reads the next object up to its property <paramref name="name"/> (true), skipping the others; false at the
    /// object's end.</summary>
    private static bool Seek(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                return true;
            }
            Next(ref reader);
            reader.Skip();
        }
        return false;
    }

    private static void WriteTurn(Utf8JsonWriter writer, TurnMark turn)
    {
        writer.WriteStartObject("turn"u8);
        writer.WriteString("key"u8, turn.Key);
        writer.WriteNumber("hash"u8, turn.MessagesHash);
        writer.WriteNumber("n"u8, turn.Entries);
        var reply = turn.Reply;
        if (reply.ResponseId is { } responseId)
        {
            writer.WriteString("rid"u8, responseId);
        }
        writer.WriteNumber("created"u8, reply.Created);
        if (reply.Model is { } model)
        {
            writer.WriteString("model"u8, model);
        }
        if (reply.FinishReason is { } finish)
        {
            writer.WriteString("finish"u8, finish);
        }
        if (reply.SystemFingerprint is { } fingerprint)
        {
            writer.WriteString("fp"u8, fingerprint);
        }
        if (reply.Usage is { } usage)
        {
            writer.WritePropertyName("usage"u8);
            writer.WriteRawValue(usage, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    private static TurnMark ReadTurn(ref Utf8JsonReader reader, ReadOnlySpan<byte> header)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        string key = "";
        ulong hash = 0;
        var entries = 0;
        string? responseId = null, model = null, finish = null, fingerprint = null;
        long created = 0;
        byte[]? usage = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("key"u8))
            {
                key = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("hash"u8))
            {
                Next(ref reader);
                hash = reader.GetUInt64();
            }
            else if (reader.ValueTextEquals("n"u8))
            {
                entries = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("rid"u8))
            {
                responseId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("created"u8))
            {
                Next(ref reader);
                created = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                model = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("finish"u8))
            {
                finish = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("fp"u8))
            {
                fingerprint = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                usage = ReadRaw(ref reader, header);
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }
        return new TurnMark(key, hash, entries, new TurnReply(responseId, created, model, finish, fingerprint, usage));
    }

    /// <summary>The next value, whole, as the bytes of <paramref name="header"/> it was written as.</summary>
    private static byte[] ReadRaw(ref Utf8JsonReader reader, ReadOnlySpan<byte> header)
    {
        Next(ref reader);
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return header[start..(int)reader.BytesConsumed].ToArray();
    }

    private static List<ConversationContentPart> ReadParts(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var parts = new List<ConversationContentPart>();
        while (Next(ref reader) == JsonTokenType.StartArray)
        {
            var type = ReadString(ref reader);
            var text = ReadString(ref reader);
            Expect(ref reader, JsonTokenType.EndArray);
            parts.Add(new ConversationContentPart(type, text));
        }
        return parts;
    }

    /// <summary>The chat roles as shared strings: a read of hundreds of entries does not allocate one per entry.</summary>
    private static string ReadRole(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.ValueTextEquals("user"u8) ? "user"
            : reader.ValueTextEquals("assistant"u8) ? "assistant"
            : reader.ValueTextEquals("system"u8) ? "system"
            : reader.ValueTextEquals("tool"u8) ? "tool"
            : reader.GetString() ?? "";
    }

    private static string ReadString(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.GetString() ?? "";
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.GetInt32();
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new FormatException("A transcript entry header ends early.");
        }
        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new FormatException($"A transcript entry header has {reader.TokenType} where {type} belongs.");
        }
    }
}
