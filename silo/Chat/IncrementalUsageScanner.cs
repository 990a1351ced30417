using System.Buffers;
using System.Text.Json;

namespace Parley.Silo.Chat;

/// <summary>Finds the top-level <c>usage</c> and the first choice's <c>finish_reason</c> of a chat completion JSON body
/// while the body is being copied to the client, block by block, so the response is never buffered just to learn them.</summary>
internal sealed class IncrementalUsageScanner
{
    private const int RootPropertyDepth = 1;
    private const int UsageFieldDepth = 2;
    // root { "choices": [ { "finish_reason": ... } ] }: the choice's fields are at depth 3.
    private const int ChoiceFieldDepth = 3;

    private JsonReaderState _state;
    private bool _inUsage;
    private bool _stopped;
    private bool _found;
    private bool _inChoices;
    private int _choiceIndex = -1;
    private bool _pendingFinish;
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

    /// <summary>choices[0].finish_reason, one of <see cref="FinishReasons"/>, once read.</summary>
    public string? FinishReason { get; private set; }

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
                var pendingFinish = _pendingFinish;
                _pending = UsageField.None;
                _pendingFinish = false;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == RootPropertyDepth:
                        _inUsage = reader.ValueTextEquals("usage"u8);
                        _inChoices = reader.ValueTextEquals("choices"u8);
                        _choiceIndex = -1;
                        break;
                    case JsonTokenType.StartObject when _inChoices && reader.CurrentDepth == ChoiceFieldDepth - 1:
                        _choiceIndex++;
                        break;
                    case JsonTokenType.PropertyName when _inChoices && _choiceIndex == 0 && reader.CurrentDepth == ChoiceFieldDepth:
                        _pendingFinish = reader.ValueTextEquals("finish_reason"u8);
                        break;
                    case JsonTokenType.String when pendingFinish:
                        FinishReason = FinishReasons.Read(ref reader);
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
