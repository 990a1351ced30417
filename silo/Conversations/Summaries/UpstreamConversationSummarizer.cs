using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Summaries;
using Parley.Silo.Providers;
using Parley.Silo.Providers.Wire;
using Parley.Silo.Routing;

namespace Parley.Silo.Conversations.Summaries;

/// <summary>Writes a conversation's rolling summary with an upstream model: the configured summariser model, else the
/// conversation's own. The call is an ordinary non-streamed chat completion, routed over the model's deployments like
/// any other.</summary>
internal sealed class UpstreamConversationSummarizer(ModelCatalog catalog, UpstreamRouter router, IOptions<ConversationOptions> options, TimeProvider timeProvider)
    : IConversationSummarizer
{
    private const string Instructions =
        "You maintain the running summary of a conversation between a user and an assistant. Merge the earlier summary " +
        "(if any) with the new turns into one updated summary. Keep every fact, name, number, decision, preference and " +
        "open question the user or assistant stated; drop pleasantries and repetition. Write plain prose in the " +
        "conversation's language, in the third person, without any preamble.";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonEncodedText ModelProperty = JsonEncodedText.Encode("model");

    // Two messages of 3 framing tokens and a role token each, and the reply priming (see ChatTokenCounter).
    private const int PromptFramingTokens = 2 * 4 + 3;

    public async Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken)
    {
        var modelId = string.IsNullOrEmpty(options.Value.SummarizerModel) ? request.Model : options.Value.SummarizerModel;
        if (modelId is null || !catalog.TryGetModel(modelId, out var model))
        {
            throw new InvalidOperationException($"No summariser model: '{modelId ?? "(none)"}' is not a configured model.");
        }
        var transcript = Transcript(request);
        var body = WriteRequest(model, transcript, request.MaxSummaryTokens);
        var encoding = model.Tokens.Counter.Encoding;
        var tokenCost = encoding.CountTokens(Instructions) + encoding.CountTokens(transcript) + PromptFramingTokens + request.MaxSummaryTokens;
        using var timeout = new CancellationTokenSource(model.Primary.Resilience.TotalTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        using var call = await router.SendAsync(model, new RouteRequest(body, Stream: false, ClientHeaders: null, tokenCost, RequiredWindow: 0), linked.Token)
            .ConfigureAwait(false);
        if (call.Success is not { } success)
        {
            throw new HttpRequestException($"The summariser model '{model.Id}' did not answer ({call.Failure?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? call.Error?.GetType().Name ?? "no deployment available"}).");
        }
        using var document = await JsonDocument.ParseAsync(success.Body.Stream, cancellationToken: linked.Token).ConfigureAwait(false);
        if (document.RootElement.TryGetProperty("choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("message"u8, out var message) && message.TryGetProperty("content"u8, out var content)
            && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
        {
            return text.Trim();
        }
        throw new InvalidDataException($"The summariser model '{model.Id}' answered without text.");
    }

    private static UpstreamBody WriteRequest(CatalogModel model, string transcript, int maxSummaryTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var upstreamModel = model.Primary.Model;
        (int Start, int Length) slot;
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            slot = UpstreamBody.WriteModel(writer, ModelProperty, upstreamModel);
            writer.WriteStartArray("messages"u8);
            WriteMessage(writer, "system", Instructions);
            WriteMessage(writer, "user", transcript);
            writer.WriteEndArray();
            writer.WriteNumber("max_tokens"u8, maxSummaryTokens);
            writer.WriteNumber("temperature"u8, 0);
            writer.WriteEndObject();
        }
        return UpstreamBody.Of(buffer.WrittenMemory, slot.Start, slot.Length, upstreamModel);
    }

    private static string Transcript(ConversationSummaryRequest request)
    {
        var text = new StringBuilder();
        if (request.PreviousSummary is { } previous)
        {
            text.Append("Earlier summary:\n").Append(previous).Append("\n\n");
        }
        text.Append("New turns:\n");
        foreach (var message in request.Messages)
        {
            text.Append(message.Role).Append(": ");
            foreach (var part in ChatMessageConversion.ToContentParts(message))
            {
                text.Append(part.Text).Append(' ');
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string content)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, role);
        writer.WriteString("content"u8, content);
        writer.WriteEndObject();
    }
}
