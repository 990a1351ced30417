using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Writes Anthropic's <c>messages</c> array block by block. Anthropic wants user and assistant turns to
/// alternate, while OpenAI lets a client send several messages of one role in a row (and sends each tool result as
/// its own message): a block joins the open turn when it has the same role and starts a new turn otherwise. A turn is
/// opened only by its first block, so a message that turns out empty leaves no empty turn behind.</summary>
internal ref struct AnthropicTurns(Utf8JsonWriter writer)
{
    private MessageRole? _open;

    public readonly Utf8JsonWriter Writer => writer;

    /// <summary>How many turns were written.</summary>
    public int Count { get; private set; }

    /// <summary>Makes the next block part of a turn of <paramref name="role"/> (user or assistant).</summary>
    public void StartBlock(MessageRole role)
    {
        if (_open == role)
        {
            return;
        }
        Finish();
        writer.WriteStartObject();
        writer.WriteString("role"u8, role == MessageRole.Assistant ? "assistant"u8 : "user"u8);
        writer.WriteStartArray("content"u8);
        _open = role;
        Count++;
    }

    /// <summary>Writes a text block, or nothing for empty text (Anthropic refuses empty text blocks, and OpenAI
    /// history often carries <c>""</c> beside tool calls).</summary>
    public void WriteText(MessageRole role, JsonElement text)
    {
        if (JsonText.IsEmptyString(text))
        {
            return;
        }
        StartBlock(role);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(JsonText.Raw(text), skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary>Closes the open turn, if any.</summary>
    public void Finish()
    {
        if (_open is null)
        {
            return;
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        _open = null;
    }
}
