using System.Buffers;
using System.Text.Json;
using Parley.Sim.Hosting;
using Parley.Sim.Models;
using Parley.Sim.Tokens;

namespace Parley.Sim.Anthropic;

/// <summary>Validates a Messages API body the way Anthropic does (400 invalid_request_error naming the field, 404
/// for an unknown model) and extracts what the simulator needs, in one forward pass over the UTF-8 body; the input
/// tokens are counted once the model is known. Unknown top-level fields are skipped; a repeated one is refused.</summary>
internal sealed partial class MessagesRequestParser(ModelCatalog models, ModelTokenizers tokenizers, ContextWindows windows)
    : Api.RequestBody.IParser<MessagesRequest, AnthropicError>
{
    /// <summary>What one image adds to input_tokens, whatever its size (the simulator does not decode images);
    /// about what Anthropic charges for a 1.2-megapixel image.</summary>
    public const int TokensPerImage = 1600;

    [Flags]
    private enum Seen
    {
        None = 0, Model = 1, MaxTokens = 2, Messages = 4, System = 8, Tools = 16, ToolChoice = 32, StopSequences = 64,
        Temperature = 128, TopP = 256, TopK = 512, Stream = 1024, Metadata = 2048,
    }

    public AnthropicError? Parse(in ReadOnlySequence<byte> body, MessagesRequest request)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            var error = ParseRoot(ref reader, request, out var seen);
            if (error is not null)
            {
                // A syntax error anywhere wins over a schema error, so read on to the end first.
                while (reader.Read())
                {
                }
                return error;
            }
            return Finish(body, request, seen);
        }
        catch (JsonException)
        {
            return AnthropicErrors.InvalidJson;
        }
        catch (InvalidOperationException)
        {
            // Thrown for strings that are not valid UTF-8.
            return AnthropicErrors.InvalidJson;
        }
    }

    private AnthropicError? ParseRoot(ref Utf8JsonReader reader, MessagesRequest request, out Seen seen)
    {
        seen = Seen.None;
        if (!reader.Read())
        {
            return AnthropicErrors.InvalidJson;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return reader.Read() ? AnthropicErrors.InvalidJson : AnthropicErrors.Invalid("Input should be a valid dictionary (a JSON object)");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (field != Seen.None && (seen & field) != 0)
            {
                return AnthropicErrors.Invalid($"{reader.GetString()}: the field is given more than once");
            }
            seen |= field;
            reader.Read();
            var error = field switch
            {
                Seen.Model => ReadModel(ref reader, request),
                Seen.MaxTokens => ReadMaxTokens(ref reader, request),
                Seen.Messages => ReadMessages(ref reader, request),
                Seen.System => ReadSystem(ref reader, request),
                Seen.Tools => ReadTools(ref reader, request),
                Seen.ToolChoice => ReadToolChoice(ref reader, request),
                Seen.StopSequences => ReadStopSequences(ref reader, request),
                Seen.Temperature or Seen.TopP or Seen.TopK when request.SamplingRemoved => SamplingRemoved(field),
                Seen.Temperature => ReadNumber(ref reader, "temperature", max: 1),
                Seen.TopP => ReadNumber(ref reader, "top_p", max: 1),
                Seen.TopK => ReadNonNegativeInteger(ref reader, "top_k"),
                Seen.Stream => ReadStream(ref reader, request),
                Seen.Metadata => ReadMetadata(ref reader),
                _ => Skip(ref reader),
            };
            if (error is not null)
            {
                return error;
            }
        }
        return reader.Read() ? AnthropicErrors.InvalidJson : null;
    }

    // Once the whole body is read: what only the whole body tells (required fields, the model, the tool choice
    // against the tools), then the token count and the window, then what to answer.
    private AnthropicError? Finish(in ReadOnlySequence<byte> body, MessagesRequest request, Seen seen)
    {
        foreach (var (flag, name) in (ReadOnlySpan<(Seen, string)>)[(Seen.Model, "model"), (Seen.MaxTokens, "max_tokens"), (Seen.Messages, "messages")])
        {
            if ((seen & flag) == 0)
            {
                return AnthropicErrors.Required(name);
            }
        }
        if (!request.ModelKnown && !models.AcceptAny)
        {
            return AnthropicErrors.ModelNotFound(request.Model!);
        }
        if (request.HasToolChoice && request.ToolChoice != ToolChoiceKind.None && request.Tools.Count == 0)
        {
            return AnthropicErrors.Invalid("tool_choice: tool_choice may only be specified while providing tools");
        }
        var chosen = request.Tools.Count > 0 ? request.Tools[0] : default;
        if (request.ToolChoice == ToolChoiceKind.Tool)
        {
            var index = IndexOfTool(request, request.ToolChoiceName!);
            if (index < 0)
            {
                return AnthropicErrors.Invalid($"tool_choice.name: tool '{request.ToolChoiceName}' is not one of the request's tools");
            }
            chosen = request.Tools[index];
        }

        var encoding = tokenizers.For(request.Model);
        request.TokenEncoding = encoding;
        request.InputTokens = request.CountInputTokens(body, encoding, TokensPerImage);
        var window = windows.For(request.Model!);
        if (window != SimulatorOptions.UnlimitedContextWindow && (long)request.InputTokens + request.MaxTokens!.Value > window)
        {
            return AnthropicErrors.PromptTooLong(window, request.InputTokens, request.MaxTokens.Value);
        }

        if (request.LastUserHasToolResult)
        {
            request.Answer = AnswerKind.ToolResult;
        }
        else if (request.Tools.Count > 0 && request.ToolChoice != ToolChoiceKind.None)
        {
            request.Answer = AnswerKind.ToolCall;
            request.ToolName = chosen.Name;
            using var schema = JsonDocument.Parse(body.Slice(chosen.SchemaStart, chosen.SchemaLength));
            request.ToolInputJson = ToolInputBuilder.Build(schema.RootElement, request.LastUserText);
        }
        return null;
    }

    private static Seen FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("model"u8) ? Seen.Model
        : reader.ValueTextEquals("max_tokens"u8) ? Seen.MaxTokens
        : reader.ValueTextEquals("messages"u8) ? Seen.Messages
        : reader.ValueTextEquals("system"u8) ? Seen.System
        : reader.ValueTextEquals("tools"u8) ? Seen.Tools
        : reader.ValueTextEquals("tool_choice"u8) ? Seen.ToolChoice
        : reader.ValueTextEquals("stop_sequences"u8) ? Seen.StopSequences
        : reader.ValueTextEquals("temperature"u8) ? Seen.Temperature
        : reader.ValueTextEquals("top_p"u8) ? Seen.TopP
        : reader.ValueTextEquals("top_k"u8) ? Seen.TopK
        : reader.ValueTextEquals("stream"u8) ? Seen.Stream
        : reader.ValueTextEquals("metadata"u8) ? Seen.Metadata
        : Seen.None;

    private AnthropicError? ReadModel(ref Utf8JsonReader reader, MessagesRequest request)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return AnthropicErrors.WrongType("model", "a valid string");
        }
        var known = models.Match(ref reader);
        request.ModelKnown = known is not null;
        request.Model = known ?? reader.GetString();
        return null;
    }

    private static AnthropicError? ReadMaxTokens(ref Utf8JsonReader reader, MessagesRequest request)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            return AnthropicErrors.WrongType("max_tokens", "a valid integer");
        }
        if (value < 1)
        {
            return AnthropicErrors.Invalid("max_tokens: Input should be greater than or equal to 1");
        }
        request.MaxTokens = (int)Math.Min(value, int.MaxValue);
        return null;
    }

    private static AnthropicError? ReadStream(ref Utf8JsonReader reader, MessagesRequest request)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True or JsonTokenType.False:
                request.Stream = reader.GetBoolean();
                return null;
            case JsonTokenType.Null:
                return null;
            default:
                return AnthropicErrors.WrongType("stream", "a valid boolean");
        }
    }

    // API version 2026-10-21 refuses the sampling parameters, whatever their value.
    private static AnthropicError SamplingRemoved(Seen field)
        => AnthropicErrors.Invalid((field == Seen.Temperature ? "temperature" : field == Seen.TopP ? "top_p" : "top_k") + ": Extra inputs are not permitted");

    private static AnthropicError? Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private static int IndexOfTool(MessagesRequest request, string name)
    {
        for (var i = 0; i < request.Tools.Count; i++)
        {
            if (request.Tools[i].Name == name)
            {
                return i;
            }
        }
        return -1;
    }
}
