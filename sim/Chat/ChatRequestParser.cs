using System.Buffers;
using System.Text.Json;
using Parley.Sim.Api;
using Parley.Sim.Hosting;
using Parley.Sim.Models;
using Parley.Sim.Tokens;

namespace Parley.Sim.Chat;

/// <summary>Validates a chat completion body the way OpenAI does (same statuses, messages, params and codes) and
/// extracts what the simulator needs, in one forward pass over the UTF-8 body. Unknown fields are skipped.</summary>
internal sealed partial class ChatRequestParser(ModelCatalog models, ModelTokenizers tokenizers, ContextWindows windows)
    : Api.RequestBody.IParser<ChatRequest, SimError>
{
    public SimError? Parse(in ReadOnlySequence<byte> body, ChatRequest request)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            var error = ParseRoot(ref reader, request);
            if (error is not null)
            {
                // OpenAI reports a syntax error before any schema error, so read on to the end first.
                while (reader.Read())
                {
                }
            }
            return error;
        }
        catch (JsonException)
        {
            return SimErrors.InvalidJson;
        }
        catch (InvalidOperationException)
        {
            // Thrown for strings that are not valid UTF-8.
            return SimErrors.InvalidJson;
        }
    }

    private SimError? ParseRoot(ref Utf8JsonReader reader, ChatRequest request)
    {
        if (!reader.Read())
        {
            return SimErrors.InvalidJson;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            // A scalar or array body is valid JSON but not a request; read it all so bad syntax still wins.
            var got = JsonFields.Describe(ref reader);
            reader.Skip();
            return reader.Read() ? SimErrors.InvalidJson : SimErrors.InvalidType("body", "an object", got);
        }
        var sawMessages = false;
        int? maxTokens = null;
        int? maxCompletionTokens = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            SimError? error;
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (request.ModelFromRoute)
                {
                    // As at Azure: the deployment decides the model, whatever the body says.
                    reader.Skip();
                    error = null;
                }
                else
                {
                    error = ReadModel(ref reader, request);
                }
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                sawMessages = true;
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    // Prompt tokens are counted by the tokenizer's chat-format counter over the array itself; a copy
                    // of the reader captures it (in pooled memory) while the original validates it.
                    var copy = reader;
                    request.SetMessages(JsonDocument.ParseValue(ref copy));
                }
                error = ReadMessages(ref reader, request);
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                error = JsonFields.ReadBoolean(ref reader, "stream", out var stream);
                request.Stream = stream ?? false;
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                reader.Read();
                error = ReadStreamOptions(ref reader, request);
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                reader.Read();
                error = JsonFields.ReadPositiveInteger(ref reader, "max_tokens", out maxTokens);
            }
            else if (reader.ValueTextEquals("max_completion_tokens"u8))
            {
                reader.Read();
                error = JsonFields.ReadPositiveInteger(ref reader, "max_completion_tokens", out maxCompletionTokens);
            }
            else if (reader.ValueTextEquals("temperature"u8))
            {
                reader.Read();
                error = JsonFields.ReadNumberInRange(ref reader, "temperature", 0, 2);
            }
            else if (reader.ValueTextEquals("top_p"u8))
            {
                reader.Read();
                error = JsonFields.ReadNumberInRange(ref reader, "top_p", 0, 1);
            }
            else
            {
                reader.Read();
                reader.Skip();
                error = null;
            }
            if (error is not null)
            {
                return error;
            }
        }
        if (reader.Read())
        {
            return SimErrors.InvalidJson;
        }
        if (request.Model is null)
        {
            return SimErrors.MissingModel;
        }
        if (!sawMessages)
        {
            return SimErrors.MissingParameter("messages");
        }
        if (request.HasStreamOptions && !request.Stream)
        {
            return SimErrors.InvalidValue("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }
        if (!request.ModelKnown && !models.AcceptAny)
        {
            return SimErrors.ModelNotFound(request.Model);
        }
        request.MaxTokens = maxCompletionTokens ?? maxTokens;
        request.Encoding = tokenizers.For(request.Model);
        request.PromptTokens = request.Encoding.Chat.CountPrompt(request.Messages);
        return CheckContextWindow(request);
    }

    // After the count, as OpenAI does: the prompt plus the completion it asks for must fit the model's window. This
    // refuses the request before the rate limiter is charged, so a refused request uses neither requests nor tokens.
    private SimError? CheckContextWindow(ChatRequest request)
    {
        var window = windows.For(request.Model!);
        if (window == SimulatorOptions.UnlimitedContextWindow)
        {
            return null;
        }
        var requested = (long)request.PromptTokens + (request.MaxTokens ?? 0);
        return requested > window ? SimErrors.ContextLengthExceeded(window, request.PromptTokens, request.MaxTokens) : null;
    }

    private SimError? ReadModel(ref Utf8JsonReader reader, ChatRequest request)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                request.Model = null;
                return null;
            case JsonTokenType.String:
                var known = models.Match(ref reader);
                request.ModelKnown = known is not null;
                request.Model = known ?? reader.GetString();
                return null;
            default:
                return SimErrors.InvalidType("model", "a string", JsonFields.Describe(ref reader));
        }
    }

    private static SimError? ReadStreamOptions(ref Utf8JsonReader reader, ChatRequest request)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return SimErrors.InvalidType("stream_options", "an object", JsonFields.Describe(ref reader));
        }
        request.HasStreamOptions = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("include_usage"u8))
            {
                reader.Read();
                var error = JsonFields.ReadBoolean(ref reader, "stream_options.include_usage", out var include);
                if (error is not null)
                {
                    return error;
                }
                request.IncludeUsage = include ?? false;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return null;
    }
}
