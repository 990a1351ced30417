using System.Buffers;
using System.Text.Json;

namespace Parley.Silo.Chat;

internal enum StreamEventKind
{
    /// <summary>Not a single-line JSON data event (a comment, a multi-line event): relayed untouched.</summary>
    Other,
    /// <summary>A chunk with choices.</summary>
    Chunk,
    /// <summary>The final chunk requested by <c>include_usage</c>: empty choices and a usage object.</summary>
    UsageOnly,
    /// <summary><c>data: [DONE]</c>.</summary>
    Done,
}

/// <summary>Classifies one server-sent event of a chat completion stream without allocating: a forward-only
/// <see cref="Utf8JsonReader"/> pass over the event's data.</summary>
internal static class StreamEventInspector
{
    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;
    private static ReadOnlySpan<byte> DoneMarker => "[DONE]"u8;

    /// <summary>Finds the payload of the event's only <c>data:</c> line. False if it has none or several.</summary>
    public static bool TryGetData(ReadOnlySequence<byte> sseEvent, out ReadOnlySequence<byte> data)
    {
        data = default;
        var found = false;
        var reader = new SequenceReader<byte>(sseEvent);
        while (!reader.End)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                line = reader.UnreadSequence;
                reader.AdvanceToEnd();
            }
            if (line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
            {
                line = line.Slice(0, line.Length - 1);
            }
            if (!StartsWith(line, DataPrefix))
            {
                continue;
            }
            if (found)
            {
                return false;
            }
            line = line.Slice(DataPrefix.Length);
            if (line.Length > 0 && line.FirstSpan[0] == (byte)' ')
            {
                line = line.Slice(1);
            }
            data = line;
            found = true;
        }
        return found;
    }

    /// <summary>Classifies the event and adds any usage it reports to <paramref name="usage"/>.</summary>
    public static StreamEventKind Inspect(ReadOnlySequence<byte> sseEvent, ref ChatUsage? usage)
    {
        string? finishReason = null;
        return Inspect(sseEvent, ref usage, ref finishReason);
    }

    /// <summary>Classifies the event, adds any usage it reports to <paramref name="usage"/> and sets
    /// <paramref name="finishReason"/> when its first choice has one.</summary>
    public static StreamEventKind Inspect(ReadOnlySequence<byte> sseEvent, ref ChatUsage? usage, ref string? finishReason)
    {
        if (!TryGetData(sseEvent, out var data))
        {
            return StreamEventKind.Other;
        }
        if (data.Length == DoneMarker.Length && StartsWith(data, DoneMarker))
        {
            return StreamEventKind.Done;
        }
        try
        {
            return InspectJson(data, ref usage, ref finishReason);
        }
        catch (JsonException)
        {
            // Not ours to judge: relay what the upstream sent.
            return StreamEventKind.Other;
        }
    }

    private static StreamEventKind InspectJson(ReadOnlySequence<byte> json, ref ChatUsage? usage, ref string? finishReason)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return StreamEventKind.Other;
        }
        var choicesEmpty = false;
        var hasUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    reader.Read();
                    choicesEmpty = reader.TokenType == JsonTokenType.EndArray;
                    if (!choicesEmpty)
                    {
                        ReadFinishReason(ref reader, ref finishReason);
                        SkipRestOfArray(ref reader);
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    hasUsage = true;
                    usage = ReadUsage(ref reader, usage ?? default);
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return choicesEmpty && hasUsage ? StreamEventKind.UsageOnly : StreamEventKind.Chunk;
    }

    private static ChatUsage ReadUsage(ref Utf8JsonReader reader, ChatUsage usage)
    {
        // On the usage object's StartObject: read its direct fields, skipping nested detail objects.
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            usage = ChatUsage.ReadField(ref reader, usage);
            reader.Skip();
        }
        return usage;
    }

    // The reader is on the first choice; when it is an object, reads its finish_reason and leaves the reader on the
    // object's EndObject (which SkipRestOfArray then skips like any other element end).
    private static void ReadFinishReason(ref Utf8JsonReader reader, ref string? finishReason)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    finishReason = FinishReasons.Read(ref reader);
                }
                continue;
            }
            reader.Read();
            reader.Skip();
        }
    }

    // The reader is on the first element of a non-empty array; leaves it on the array's EndArray.
    private static void SkipRestOfArray(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        do
        {
            reader.Skip();
        }
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth - 1));
    }

    private static bool StartsWith(ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> prefix)
    {
        if (sequence.Length < prefix.Length)
        {
            return false;
        }
        if (sequence.FirstSpan.Length >= prefix.Length)
        {
            return sequence.FirstSpan.StartsWith(prefix);
        }
        Span<byte> head = stackalloc byte[prefix.Length];
        sequence.Slice(0, prefix.Length).CopyTo(head);
        return head.SequenceEqual(prefix);
    }
}
