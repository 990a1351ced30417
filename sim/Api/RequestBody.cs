using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;

namespace Parley.Sim.Api;

/// <summary>Buffers a whole request body in the request pipe, for a parser to read in place (no copy unless it
/// spans segments).</summary>
internal static class RequestBody
{
    /// <summary>An API's body parser: validates a whole body in place and fills the request.</summary>
    public interface IParser<TRequest, TError>
    {
        TError? Parse(in ReadOnlySequence<byte> body, TRequest request);
    }

    /// <summary>What every API's endpoint does with its body: reads it whole, parses it in place into
    /// <paramref name="request"/>, records it (when the state keeps bodies) and consumes it. Returns the parser's error,
    /// or <paramref name="tooLarge"/>'s error for a body over <paramref name="maxBytes"/>, or <paramref name="invalidJson"/>
    /// for a body that ended early or was malformed on the wire (logged at Debug: it is the client's doing).</summary>
    public static async ValueTask<TError?> ReadAndParseAsync<TParser, TRequest, TError>(HttpContext context, int maxBytes, TParser parser,
        TRequest request, Func<long, TError> tooLarge, TError invalidJson, SimulatorState state, KeyEntry key, TimeProvider time, ILogger logger)
        where TParser : IParser<TRequest, TError>
        where TError : class
    {
        ReadResult result;
        try
        {
            if (await ReadWholeAsync(context, maxBytes) is not { } whole)
            {
                return tooLarge(maxBytes);
            }
            result = whole;
        }
        catch (BadHttpRequestException ex)
        {
            // The body ended before its length, or its chunks are malformed: most often a client that went away
            // mid-body (Kestrel does not always signal RequestAborted first). Not the simulator's failure.
            SimulatorLog.BodyUnreadable(logger, ex.Message);
            return invalidJson;
        }
        var body = result.Buffer;
        var error = parser.Parse(body, request);
        if (state.RecordsBodies)
        {
            state.Record(context.Request.Path.Value ?? "", key, Encoding.UTF8.GetString(body), !ReferenceEquals(error, invalidJson), time.GetUtcNow(),
                context.Request.Headers.TryGetValue("traceparent", out var traceParent) ? traceParent.ToString() : null);
        }
        context.Request.BodyReader.AdvanceTo(body.End);
        return error;
    }

    /// <summary>The whole body, still unconsumed: the caller parses <c>Buffer</c> and then advances the reader to its
    /// end. Null when the body is larger than <paramref name="maxBytes"/> (what was read of it is consumed).</summary>
    public static async ValueTask<ReadResult?> ReadWholeAsync(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return null;
        }
        // The simulator's own limit applies, not Kestrel's default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            if (result.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(result.Buffer.End);
                return null;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                return result;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
