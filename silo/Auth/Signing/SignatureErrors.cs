using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;

namespace Parley.Silo.Auth.Signing;

/// <summary>The answers to a signed-request key whose request does not verify: 401, each with its own code.</summary>
internal static class SignatureErrors
{
    public const string RequiredCode = "signature_required";
    public const string InvalidCode = "signature_invalid";
    public const string ExpiredCode = "signature_expired";
    public const string ReplayedCode = "signature_replayed";

    public static Task RequiredAsync(HttpContext context)
        => WriteAsync(context, RequiredCode,
            $"This API key requires signed requests: send {RequestSignature.TimestampHeader}, {RequestSignature.NonceHeader} and {RequestSignature.SignatureHeader} (docs/auth.md).");

    public static Task InvalidAsync(HttpContext context, string why)
        => WriteAsync(context, InvalidCode, "The request signature is not valid: " + why);

    public static Task ExpiredAsync(HttpContext context)
        => WriteAsync(context, ExpiredCode,
            $"{RequestSignature.TimestampHeader} is more than {RequestSignature.Window.TotalMinutes:0} minutes from the server's clock; sign the request again with the current time.");

    public static Task ReplayedAsync(HttpContext context)
        => WriteAsync(context, ReplayedCode, "This nonce was already used with this key; sign every request with a new nonce.");

    private static Task WriteAsync(HttpContext context, string code, string message)
        => ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, message, OpenAIErrorTypes.InvalidRequest, code);
}
