using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Silo.Api;
using Parley.Silo.Chat;

namespace Parley.Silo.Auth.Signing;

/// <summary>Verifies the signature of a request made with a key that requires one, before the endpoint sees it: the
/// headers, the timestamp within <see cref="RequestSignature.Window"/>, the HMAC over the canonical string (the body
/// read once, hashed, and kept for the endpoint), and last the nonce, claimed only for a request whose
/// signature holds (so nobody can use up another caller's nonces). Keys without a signing secret never come here.</summary>
internal sealed partial class RequestSignatureVerifier(INonceStore nonces, TimeProvider time, IOptions<ChatLimitsOptions> limits, ILogger<RequestSignatureVerifier> logger)
{
    private readonly long _maxBodyBytes = limits.Value.MaxRequestBodyBytes;

    /// <summary>True when the request may go on; otherwise the answer (401, 413 or 503) has been written.</summary>
    public async Task<bool> VerifyAsync(HttpContext context, Caller caller, byte[] key)
    {
        var request = context.Request;
        var headers = request.Headers;
        if (headers[RequestSignature.TimestampHeader] is not [{ } timestampText]
            || headers[RequestSignature.NonceHeader] is not [{ } nonce]
            || headers[RequestSignature.SignatureHeader] is not [{ } signature])
        {
            LogRefused(logger, caller.KeyId, SignatureErrors.RequiredCode);
            await SignatureErrors.RequiredAsync(context);
            return false;
        }
        if (!long.TryParse(timestampText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timestamp))
        {
            return await InvalidAsync(context, caller, $"{RequestSignature.TimestampHeader} must be Unix seconds.");
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - timestamp) > (long)RequestSignature.Window.TotalSeconds)
        {
            LogRefused(logger, caller.KeyId, SignatureErrors.ExpiredCode);
            await SignatureErrors.ExpiredAsync(context);
            return false;
        }
        if (!RequestSignature.IsValidNonce(nonce))
        {
            return await InvalidAsync(context, caller,
                $"{RequestSignature.NonceHeader} must be {RequestSignature.MinNonceLength} to {RequestSignature.MaxNonceLength} letters, digits, '-' or '_'.");
        }
        var presented = new byte[HMACSHA256.HashSizeInBytes];
        if (!RequestSignature.TryParseSignature(signature, presented))
        {
            return await InvalidAsync(context, caller, $"{RequestSignature.SignatureHeader} must be '{RequestSignature.Version}=' and 64 hex digits.");
        }

        var bodyHash = new byte[SHA256.HashSizeInBytes];
        if (!await ReadAndHashBodyAsync(context, bodyHash))
        {
            return false;
        }
        var canonical = RequestSignature.CanonicalString(request.Method, Target(context), timestamp, nonce, bodyHash);
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(canonical));
        if (!CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return await InvalidAsync(context, caller, "it does not match the request (method, path and query, timestamp, nonce and body).");
        }
        bool first;
        try
        {
            first = await nonces.TryClaimAsync(caller.KeyId, nonce, 2 * RequestSignature.Window, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNonceStoreFailed(logger, ex);
            await AuthErrors.UnavailableAsync(context);
            return false;
        }
        if (!first)
        {
            LogRefused(logger, caller.KeyId, SignatureErrors.ReplayedCode);
            await SignatureErrors.ReplayedAsync(context);
            return false;
        }
        return true;
    }

    /// <summary>The path and query exactly as the request line sent them.</summary>
    private static string Target(HttpContext context)
        => context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : string.Concat(context.Request.PathBase.ToUriComponent(), context.Request.Path.ToUriComponent(), context.Request.QueryString.ToUriComponent());

    private async Task<bool> InvalidAsync(HttpContext context, Caller caller, string why)
    {
        LogRefused(logger, caller.KeyId, SignatureErrors.InvalidCode);
        await SignatureErrors.InvalidAsync(context, why);
        return false;
    }

    /// <summary>Reads the whole body (within the request size limit) with the chat path's reader, hashes it, and gives
    /// the endpoint the same bytes to read. False when the 413 is written.</summary>
    private async Task<bool> ReadAndHashBodyAsync(HttpContext context, byte[] hash)
    {
        var body = await RequestBodyReader.ReadAsync(context.Request, _maxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            await InputErrors.TooLarge(_maxBodyBytes).WriteAsync(context);
            return false;
        }
        context.Response.RegisterForDispose(body);
        SHA256.HashData(body.WrittenSpan, hash);
        MemoryMarshal.TryGetArray(body.WrittenMemory, out var bytes);
        context.Request.Body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        return true;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Refused a signed-request key's request ({KeyId}): {Code}")]
    private static partial void LogRefused(ILogger logger, string keyId, string code);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "The nonce store failed while verifying a signed request")]
    private static partial void LogNonceStoreFailed(ILogger logger, Exception exception);
}
