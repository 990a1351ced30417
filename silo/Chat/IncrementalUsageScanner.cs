using System.Buffers;
using System.Text.Json;

namespace Parley.Silo.Chat;

/// <summary>Finds the top-level <c>usage</c> of a chat completion JSON body while the body is being copied to the
/// client, block by block, so the response is never buffered just to learn its token counts.</summary>
internal sealed class IncrementalUsageScanner
{
    private const int RootPropertyDepth = 1;
    private const int UsageFieldDepth = 2;

    private JsonReaderState _state;
    private bool _inUsage;
    private bool _stopped;
    private bool _found;
    private UsageField _pending;
    private ChatUsage _usage;

    private enum UsageField
    {
        None,
        Prompt,
        Completion,
        Total,
    }

    public ChatUsage? Usage => _found ? _usage : null;

    /// <summary>Scans as much of <paramref name="data"/> as forms complete tokens and returns how many bytes it
    /// consumed; the caller hands the rest back, followed by more data, on the next call. A field name and its value
    /// may arrive in different blocks, so the pending field is state, not a look-ahead.</summary>
    public long Feed(ReadOnlySequence<byte> data, bool isFinalBlock)
    {
        if (_stopped)
        {
            return data.Length;
        }
        var reader = new Utf8JsonReader(data, isFinalBlock, _state);
        try
        {
            while (reader.Read())
            {
                var pending = _pending;
                _pending = UsageField.None;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == RootPropertyDepth:
                        _inUsage = reader.ValueTextEquals("usage"u8);
                        break;
                    case JsonTokenType.PropertyName when _inUsage && reader.CurrentDepth == UsageFieldDepth:
                        _pending = reader.ValueTextEquals("prompt_tokens"u8) ? UsageField.Prompt
                            : reader.ValueTextEquals("completion_tokens"u8) ? UsageField.Completion
                            : reader.ValueTextEquals("total_tokens"u8) ? UsageField.Total
                            : UsageField.None;
                        break;
                    case JsonTokenType.Number when pending != UsageField.None && reader.TryGetInt32(out var value):
                        _usage = pending switch
                        {
                            UsageField.Prompt => _usage with { PromptTokens = value },
                            UsageField.Completion => _usage with { CompletionTokens = value },
                            _ => _usage with { TotalTokens = value },
                        };
                        break;
                    case JsonTokenType.StartObject when _inUsage && reader.CurrentDepth == RootPropertyDepth:
                        _found = true;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: stop looking, the body is still relayed as it is.
            _stopped = true;
            return data.Length;
        }
        _state = reader.CurrentState;
        return reader.BytesConsumed;
    }
}
