using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Silo.Chat;
using Parley.Silo.Providers.Anthropic;

namespace Parley.Silo.Providers.Wire;

/// <summary>Anthropic's Messages API: each OpenAI-shaped body is translated into a Messages request, and each answer,
/// streamed or not, back into OpenAI's chat completion format, so everything after the wire (relay, usage, conversations,
/// cache) sees OpenAI's shape. The key goes in <c>x-api-key</c>, the protocol version in <c>anthropic-version</c>.</summary>
internal sealed class AnthropicWire(ProviderOptions options, Func<Uri> baseAddress, TimeProvider time) : IUpstreamWire
{
    private const string MessagesPath = "v1/messages";
    private const string ApiKeyHeader = "x-api-key";
    private const string VersionHeader = "anthropic-version";
    private const string RequestsRemaining = "anthropic-ratelimit-requests-remaining";
    private const string RequestsReset = "anthropic-ratelimit-requests-reset";
    private const string TokensRemaining = "anthropic-ratelimit-tokens-remaining";
    private const string TokensReset = "anthropic-ratelimit-tokens-reset";
    private const string EventStreamType = "text/event-stream";
    private const string JsonType = "application/json";
    // A non-streamed message is a few kilobytes; this only bounds a misbehaving upstream.
    private const int MaxMessageBytes = 16 * 1024 * 1024;
    private static readonly MediaTypeHeaderValue JsonContentType = new(JsonType);

    private readonly KeyValuePair<string, string>[] _headers = [.. options.Headers];
    private readonly string[] _forwardHeaders = [.. options.ForwardHeaders];
    private readonly string _version = options.EffectiveApiVersion;
    private readonly AnthropicRequestSettings _settings = new() { DefaultMaxTokens = options.DefaultMaxTokens };
    private Uri? _uri;

    public HttpRequestMessage CreateRequest(in UpstreamRequest request, PoolKey key)
    {
        var openAiBody = request.Body.For(request.Model);
        var body = new ArrayBufferWriter<byte>(openAiBody.Length + 256);
        if (AnthropicRequestTranslator.Write(openAiBody.Span, body, _settings) is { } error)
        {
            throw new UpstreamRequestRejectedException(error);
        }
        var message = new HttpRequestMessage(HttpMethod.Post, _uri ??= new Uri(WireUris.Root(baseAddress()), MessagesPath))
        {
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        message.Content.Headers.ContentType = JsonContentType;
        if (!string.IsNullOrEmpty(key.Options.ApiKey))
        {
            message.Headers.TryAddWithoutValidation(ApiKeyHeader, key.Options.ApiKey);
        }
        message.Headers.TryAddWithoutValidation(VersionHeader, _version);
        WireHeaders.Add(message, _headers, _forwardHeaders, request.ClientHeaders);
        return message;
    }

    /// <summary>Anthropic's limits come as remaining counts and RFC 3339 reset times, with Retry-After on a 429.</summary>
    public UpstreamCallOutcome ReadOutcome(HttpResponseMessage response, DateTimeOffset at, bool wasTrial)
    {
        var headers = response.Headers;
        return new UpstreamCallOutcome(at, (int)response.StatusCode, wasTrial, UpstreamAnswers.RetryAfter(headers, at),
            UpstreamAnswers.Long(headers, RequestsRemaining), Until(headers, RequestsReset, at), UpstreamAnswers.Long(headers, TokensRemaining), Until(headers, TokensReset, at));
    }

    public async ValueTask<UpstreamBodyStream> OpenBodyAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var stream = await call.Response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (call.IsStream)
        {
            return new UpstreamBodyStream(new AnthropicStreamTranslator(stream, created), EventStreamType, null);
        }
        await using (stream.ConfigureAwait(false))
        {
            using var message = new PooledBufferWriter(8192);
            if (!await UpstreamBodies.ReadBoundedAsync(stream, message, MaxMessageBytes + 1, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidDataException($"The Anthropic message exceeds {MaxMessageBytes} bytes.");
            }
            var translated = new ArrayBufferWriter<byte>(message.WrittenCount + 256);
            if (!AnthropicResponseTranslator.WriteChatCompletion(message.WrittenSpan, translated, created))
            {
                throw new InvalidDataException("The upstream answered 2xx with a body that is not an Anthropic message.");
            }
            // The writer's own array backs the stream: the translated body is not copied again.
            MemoryMarshal.TryGetArray(translated.WrittenMemory, out var written);
            return new UpstreamBodyStream(new MemoryStream(written.Array!, written.Offset, written.Count, writable: false), JsonType, written.Count);
        }
    }

    public async ValueTask<UpstreamError> ReadErrorAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        using var body = await UpstreamBodies.ReadAsync(call.Response, cancellationToken).ConfigureAwait(false);
        var error = AnthropicResponseTranslator.ReadError(call.StatusCode, body.WrittenSpan);
        // The translator caps the message already.
        return new UpstreamError(error.Message, error.Type, error.Code, error.Param);
    }

    private static TimeSpan? Until(HttpResponseHeaders headers, string name, DateTimeOffset now)
        => headers.TryGetValues(name, out var values)
            && DateTimeOffset.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? (at > now ? at - now : TimeSpan.Zero) : null;
}
