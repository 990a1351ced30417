using System.Buffers;
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
/// read once, hashed as it is read, and kept for the endpoint), and last the nonce, claimed only for a request whose
/// signature holds (so nobody can use up another caller's nonces). Keys without a signing secret never come here.</summary>
internal sealed partial class RequestSignatureVerifier(INonceStore nonces, TimeProvider time, IOptions<ChatLimitsOptions> limits, ILogger<RequestSignatureVerifier> logger)
{
    private const int FirstBufferBytes = 16 * 1024;

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

    /// <summary>Reads the whole body (within the request size limit) into a pooled buffer, hashing it, and gives the
    /// endpoint the same bytes to read. False when the answer (413, or nothing for a client gone) is written.</summary>
    private async Task<bool> ReadAndHashBodyAsync(HttpContext context, byte[] hash)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            SHA256.HashData(ReadOnlySpan<byte>.Empty, hash);
            return true;
        }
        if (request.ContentLength > _maxBodyBytes)
        {
            await InputErrors.TooLarge(_maxBodyBytes).WriteAsync(context);
            return false;
        }
        var held = new HeldBody(request.ContentLength is { } n ? (int)Math.Max(n, 1) : FirstBufferBytes);
        context.Response.RegisterForDispose(held);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Reads at most one byte past the limit: enough to tell a body over it from one that ends at it.
        var cap = _maxBodyBytes + 1;
        while (true)
        {
            if (held.Room == 0)
            {
                held.Grow((int)Math.Min(cap, 2L * held.Capacity));
            }
            var want = (int)Math.Min(held.Room, cap - held.Length);
            var read = await request.Body.ReadAsync(held.Free[..want], context.RequestAborted);
            if (read == 0)
            {
                break;
            }
            sha.AppendData(held.Free.Span[..read]);
            held.Advance(read);
            if (held.Length > _maxBodyBytes)
            {
                await InputErrors.TooLarge(_maxBodyBytes).WriteAsync(context);
                return false;
            }
        }
        sha.GetHashAndReset(hash);
        request.Body = new MemoryStream(held.Array, 0, held.Length, writable: false);
        return true;
    }

    /// <summary>A pooled buffer that lives as long as the request.</summary>
    private sealed class HeldBody(int capacity) : IDisposable
    {
        public byte[] Array { get; private set; } = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; private set; }

        public int Capacity => Array.Length;

        public int Room => Array.Length - Length;

        public Memory<byte> Free => Array.AsMemory(Length);

        public void Advance(int count) => Length += count;

        public void Grow(int capacity)
        {
            var larger = ArrayPool<byte>.Shared.Rent(capacity);
            Array.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(Array);
            Array = larger;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(Array);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Refused a signed-request key's request ({KeyId}): {Code}")]
    private static partial void LogRefused(ILogger logger, string keyId, string code);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "The nonce store failed while verifying a signed request")]
    private static partial void LogNonceStoreFailed(ILogger logger, Exception exception);
}
