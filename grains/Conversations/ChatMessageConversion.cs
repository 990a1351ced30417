using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Grains.Conversations;

/// <summary>Converts between the two views of a conversation item: the chat message sent upstream and the
/// Conversations API's message item with typed text parts.</summary>
public static class ChatMessageConversion
{
    public const string AssistantRole = "assistant";

    // The message goes into a JSON request body, never into HTML: escaping only what JSON requires keeps non-ASCII
    // text readable and the prompt byte-for-byte what the client sent.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A Conversations API item as a chat message: a single text part becomes a plain string (what every
    /// OpenAI-compatible upstream accepts), several become an array of text parts.</summary>
    public static byte[] ToChatMessageJson(NewConversationItem item)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("role", item.Role);
            if (item.Content.Count == 1)
            {
                writer.WriteString("content", item.Content[0].Text);
            }
            else
            {
                writer.WriteStartArray("content");
                foreach (var part in item.Content)
                {
                    writer.WriteStartObject();
                    writer.WriteString("type", "text");
                    writer.WriteString("text", part.Text);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Whether <see cref="ToContentParts"/> gives back this item's parts from its chat message: true unless a
    /// part's type differs from the role's default (input_text, or output_text for the assistant).</summary>
    public static bool IsDerivable(NewConversationItem item)
    {
        var partType = item.Role == AssistantRole ? ConversationContentPart.OutputText : ConversationContentPart.InputText;
        foreach (var part in item.Content)
        {
            if (part.Type != partType)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A system message with plain text content.</summary>
    public static byte[] ToSystemMessageJson(string text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 32);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("role", "system");
            writer.WriteString("content", text);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The text parts of a chat message as Conversations API content. Parts without text (images, audio)
    /// are not shown; the message itself is kept verbatim for the upstream. Never throws: the chat path stores what
    /// the client or upstream sent, and a part the API cannot show must not make the conversation unreadable.</summary>
    public static IReadOnlyList<ConversationContentPart> ToContentParts(ChatMessageRecord message)
    {
        var partType = message.Role == AssistantRole ? ConversationContentPart.OutputText : ConversationContentPart.InputText;
        try
        {
            using var document = JsonDocument.Parse(message.Utf8Json);
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("content", out var content))
            {
                return [];
            }
            if (content.ValueKind == JsonValueKind.String)
            {
                return [new ConversationContentPart(partType, content.GetString()!)];
            }
            if (content.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            var parts = new List<ConversationContentPart>(content.GetArrayLength());
            foreach (var element in content.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.Object &&
                    element.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    parts.Add(new ConversationContentPart(partType, text.GetString()!));
                }
            }
            return parts;
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
