using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Api;

/// <summary>Every error Parley answers goes through here, so the shape is always OpenAI's.</summary>
public static class ApiErrors
{
    public static IResult Result(int status, string message, string type, string? code = null, string? param = null)
        => new AuditedError(Results.Json(new OpenAIErrorBody(new OpenAIError(message, type, param, code)), ApiJsonContext.Default.OpenAIErrorBody, statusCode: status),
            status, code ?? type);

    public static Task WriteAsync(HttpContext context, int status, string message, string type, string? code = null, string? param = null)
    {
        // The request's audit record names the error (its code, else its type).
        Audit.AuditFeature.NoteError(context, code ?? type);
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new OpenAIErrorBody(new OpenAIError(message, type, param, code)), ApiJsonContext.Default.OpenAIErrorBody, contentType: "application/json", context.RequestAborted);
    }

    public static IResult BadRequest(string message, string? param = null, string? code = null)
        => Result(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, code, param);

    public static IResult NotFound(string message, string? code = null)
        => Result(StatusCodes.Status404NotFound, message, OpenAIErrorTypes.InvalidRequest, code ?? "not_found");

    /// <summary>An error result that notes its code in the request's audit record as it is written.</summary>
    private sealed class AuditedError(IResult inner, int status, string code) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            Audit.AuditFeature.NoteError(httpContext, code);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
