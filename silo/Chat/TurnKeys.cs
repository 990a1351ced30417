using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;

namespace Parley.Silo.Chat;

/// <summary>The <c>Idempotency-Key</c> of a conversation turn. With the header, a retry of a turn that is already stored
/// is answered from the transcript (and not charged again), and a retry while the first attempt still runs waits for
/// it. Without it the turn's key is the request's own id: a retry is a new turn, as with OpenAI.</summary>
internal static class TurnKeys
{
    public const string HeaderName = "Idempotency-Key";
    public const int MaxLength = 255;
    public const string InvalidKeyCode = "invalid_idempotency_key";
    public const string KeyInUseCode = "idempotency_key_in_use";
    public const string KeyReusedCode = "idempotency_key_reused";

    /// <summary>The turn this request is: its key (the client's, else one made from the request id) and the hash of its
    /// messages. False with an error for a malformed header.</summary>
    public static bool TryResolve(IHeaderDictionary headers, JsonElement messages, string requestId, SiloAddress? holder, out TurnIdentity? turn,
        out ApiError? error)
    {
        turn = null;
        error = null;
        var values = headers[HeaderName];
        string key;
        if (values.Count == 0)
        {
            key = "req:" + requestId;
        }
        else if (values.Count > 1 || !TryParse(values[0], out key))
        {
            error = InputErrors.BadRequest(
                $"The {HeaderName} header must be one value of 1 to {MaxLength} visible ASCII characters (optionally in double quotes).", null,
                InvalidKeyCode);
            return false;
        }
        else
        {
            key = "key:" + key;
        }
        turn = new TurnIdentity(key, XxHash64.HashToUInt64(JsonMarshal.GetRawUtf8Value(messages)), requestId, holder);
        return true;
    }

    /// <summary>A bare token (Stripe's form) or a quoted string (the IETF draft's structured-field form).</summary>
    private static bool TryParse(string? value, out string key)
    {
        key = "";
        if (value is null)
        {
            return false;
        }
        var span = value.AsSpan().Trim(' ');
        if (span.Length >= 2 && span[0] == '"' && span[^1] == '"')
        {
            span = span[1..^1];
        }
        if (span.IsEmpty || span.Length > MaxLength)
        {
            return false;
        }
        foreach (var c in span)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        key = span.ToString();
        return true;
    }

    public static ApiError InUse()
        => new(StatusCodes.Status409Conflict, $"A request with this {HeaderName} is still being answered; retry after it completes.",
            OpenAIErrorTypes.InvalidRequest, null, KeyInUseCode);

    public static ApiError Reused()
        => new(StatusCodes.Status422UnprocessableEntity, $"This {HeaderName} was already used for a turn with other messages; use a new key for a new turn.",
            OpenAIErrorTypes.InvalidRequest, null, KeyReusedCode);
}
