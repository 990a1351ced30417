using System.Buffers;
using System.Text.Json;
using Parley.Sim.Tokens;

namespace Parley.Sim.Chat;

/// <summary>What the simulator needs from a chat completion request. Message text lives in pooled buffers, so a
/// request costs no string per message; dispose to return them.</summary>
internal sealed class ChatRequest : IDisposable
{
    private JsonDocument? _messages;
    private char[] _lastUser = [];
    private int _lastUserLength;
    private char[] _message = [];
    private int _messageLength;

    public string? Model { get; set; }
    public bool ModelKnown { get; set; }

    /// <summary>The model was named by the route (an Azure deployment), so the body's "model" is ignored.</summary>
    public bool ModelFromRoute { get; private set; }
    public bool Stream { get; set; }
    public bool HasStreamOptions { get; set; }
    public bool IncludeUsage { get; set; }
    public int? MaxTokens { get; set; }
    public int PromptTokens { get; set; }

    /// <summary>Serves <paramref name="model"/>, a served model (or any, with AcceptAnyModel) named by the route.</summary>
    public void UseRouteModel(string model)
    {
        Model = model;
        ModelKnown = true;
        ModelFromRoute = true;
    }

    /// <summary>The encoding the model's tokens are counted with (set once the request is valid).</summary>
    public SimEncoding? Encoding { get; set; }

    /// <summary>The request's "messages" array (default when the body had none).</summary>
    public JsonElement Messages => _messages?.RootElement ?? default;

    /// <summary>Keeps the parsed "messages" array (a repeated field replaces the earlier one, as in the parse).</summary>
    public void SetMessages(JsonDocument messages)
    {
        _messages?.Dispose();
        _messages = messages;
    }

    /// <summary>Text of the last message with role "user" (empty when there is none).</summary>
    public ReadOnlySpan<char> LastUserText => _lastUser.AsSpan(0, _lastUserLength);

    public void BeginMessage() => _messageLength = 0;

    /// <summary>Appends the reader's current string token (unescaped) to the message being parsed, on a new line
    /// when the message already has text (content given as several text parts).</summary>
    public void AppendText(ref Utf8JsonReader reader)
    {
        // An unescaped string never has more UTF-16 chars than its UTF-8 bytes.
        var maxChars = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var separator = _messageLength > 0 ? 1 : 0;
        Grow(ref _message, _messageLength, separator + maxChars);
        if (separator == 1)
        {
            _message[_messageLength++] = '\n';
        }
        _messageLength += reader.CopyString(_message.AsSpan(_messageLength));
    }

    /// <summary>The message just parsed was the user's: keep its text as the last user text.</summary>
    public void KeepMessageAsLastUser()
    {
        (_lastUser, _message) = (_message, _lastUser);
        _lastUserLength = _messageLength;
        _messageLength = 0;
    }

    public void Dispose()
    {
        _messages?.Dispose();
        _messages = null;
        Return(ref _lastUser);
        Return(ref _message);
    }

    private static void Grow(ref char[] buffer, int used, int extra)
    {
        var needed = used + extra;
        if (needed <= buffer.Length)
        {
            return;
        }
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(needed, 256));
        buffer.AsSpan(0, used).CopyTo(bigger);
        Return(ref buffer);
        buffer = bigger;
    }

    private static void Return(ref char[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
        buffer = [];
    }
}
