using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Parley.Silo.Api;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.Conversations;
using Parley.Silo.Providers;
using Parley.Silo.Quotas;

namespace Parley.Silo.OperatorConsole;

/// <summary>The console's routes under <c>/console</c>, every one behind the admin policy (session cookie from the
/// sign-in page, or <c>Authorization: Bearer &lt;admin key&gt;</c>). Its two actions run the admin API's own handlers;
/// from a session they also need the antiforgery token in <see cref="AdminSessions.AntiforgeryHeaderName"/>.</summary>
internal static partial class ConsoleEndpoints
{
    public const string CsrfCode = "antiforgery_token_invalid";
    public const string CsrfMessage = "This action needs the console's antiforgery token (reload the console page and try again).";

    public static RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        var console = app.MapGroup(ConsoleOptions.Path).RequireAuthorization(AdminSessions.PolicyName).AddEndpointFilter(ApplyHeadersAsync);
        // The page's assets are relative to it, so it lives at /console/ (routing matches both with and without the slash).
        console.MapGet("/", static (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? ConsoleAssets.Serve(ConsoleAssets.Page, context)
            : Results.Redirect(context.Request.PathBase + ConsoleOptions.Path + "/"));
        console.MapGet("/" + ConsoleAssets.Script, static (HttpContext context) => ConsoleAssets.Serve(ConsoleAssets.Script, context));
        console.MapGet("/" + ConsoleAssets.StyleSheet, static (HttpContext context) => ConsoleAssets.Serve(ConsoleAssets.StyleSheet, context));

        var api = console.MapGroup("/api");
        api.MapGet("/session", GetSession);
        api.MapGet("/snapshot", static async (HttpContext context, ConsoleSnapshotReader reader)
            => Results.Json(await reader.ReadAsync(context.RequestAborted), ConsoleJsonContext.Relaxed.ConsoleSnapshot));
        api.MapGroup("/conversations/{conversationId}").AddEndpointFilter(ConversationEndpoints.RefuseInvalidIdAsync)
            .MapGet("/context", ConversationAdminEndpoints.GetWorkingContextAsync);

        var actions = api.MapGroup("").AddEndpointFilter(RequireAntiforgeryAsync);
        actions.MapPut("/users/{userId}/limits", QuotaEndpoints.SetUserLimitsAsync);
        actions.MapPost("/upstream-keys/{provider}/{keyId}/enable", UpstreamKeyAdminEndpoints.EnableAsync);
        return console;
    }

    private static IResult GetSession(HttpContext context, IAntiforgery antiforgery, ConsoleSnapshotReader reader)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return Results.Json(new ConsoleSession(AdminSessions.AntiforgeryHeaderName, tokens.RequestToken!, reader.Silo, reader.RefreshMs),
            ConsoleJsonContext.Relaxed.ConsoleSession);
    }

    private static ValueTask<object?> ApplyHeadersAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ConsoleHeaders.Apply(context.HttpContext.Response);
        return next(context);
    }

    /// <summary>A change made through a session cookie must carry the token the page got from <c>/console/api/session</c>
    /// (bound to the session and to the antiforgery cookie): another site can make a browser send the cookie (were it
    /// not SameSite=Strict) but cannot read the token nor set the header. A request with an Authorization header
    /// carries its own credential, which no other site can add, so it needs no token.</summary>
    private static async ValueTask<object?> RequireAntiforgeryAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.Headers.Authorization.Count == 0)
        {
            var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                LogRefused(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleEndpoints).FullName!), http.Request.Path.Value ?? "");
                return ApiErrors.Result(StatusCodes.Status403Forbidden, CsrfMessage, OpenAIErrorTypes.Permission, CsrfCode);
            }
        }
        return await next(context);
    }

    [LoggerMessage(EventId = 7110, Level = LogLevel.Warning, Message = "Refused a console action on {Path}: no valid antiforgery token.")]
    private static partial void LogRefused(ILogger logger, string path);
}
