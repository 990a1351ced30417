using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;

namespace Parley.Silo.Auth;

/// <summary>The authentication answers, worded as OpenAI words them (a secret is never echoed, not even masked).</summary>
internal static class AuthErrors
{
    public const string InvalidApiKeyCode = "invalid_api_key";
    public const string InsufficientPermissionsCode = "insufficient_permissions";

    public const string MissingKeyMessage =
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

    public const string IncorrectKeyMessage =
        "Incorrect API key provided. Ask your Parley administrator for a valid key.";

    public const string AdminOnlyMessage = "This endpoint requires the Parley admin key.";

    public const string UserOnlyMessage = "The admin key cannot call this endpoint; use a user's API key.";

    public const string UnavailableMessage = "Parley cannot check API keys right now. Please retry shortly.";

    public static Task MissingKeyAsync(HttpContext context)
        => ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, MissingKeyMessage, OpenAIErrorTypes.InvalidRequest, InvalidApiKeyCode);

    public static Task IncorrectKeyAsync(HttpContext context)
        => ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, IncorrectKeyMessage, OpenAIErrorTypes.InvalidRequest, InvalidApiKeyCode);

    public static Task ForbiddenAsync(HttpContext context, string message)
        => ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden, message, OpenAIErrorTypes.Permission, InsufficientPermissionsCode);

    public static Task UnavailableAsync(HttpContext context)
        => ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, UnavailableMessage, OpenAIErrorTypes.Server, "auth_unavailable");
}
