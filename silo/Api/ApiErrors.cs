using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Api;

/// <summary>Every error Parley answers goes through here, so the shape is always OpenAI's.</summary>
public static class ApiErrors
{
    public static IResult Result(int status, string message, string type, string? code = null, string? param = null)
        => Results.Json(new OpenAIErrorBody(new OpenAIError(message, type, param, code)), ApiJsonContext.Default.OpenAIErrorBody, statusCode: status);

    public static Task WriteAsync(HttpContext context, int status, string message, string type, string? code = null, string? param = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new OpenAIErrorBody(new OpenAIError(message, type, param, code)), ApiJsonContext.Default.OpenAIErrorBody, contentType: "application/json", context.RequestAborted);
    }

    public static IResult BadRequest(string message, string? param = null, string? code = null)
        => Result(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, code, param);

    public static IResult NotFound(string message, string? code = null)
        => Result(StatusCodes.Status404NotFound, message, OpenAIErrorTypes.InvalidRequest, code ?? "not_found");
}
