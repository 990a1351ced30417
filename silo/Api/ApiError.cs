using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Api;

/// <summary>An error answer decided before it is written: validation finds it deep in a body, and the endpoint
/// answers it either as a minimal-API result or straight onto the response.</summary>
public sealed record ApiError(int Status, string Message, string Type, string? Param, string? Code)
{
    public IResult ToResult() => ApiErrors.Result(Status, Message, Type, Code, Param);

    public Task WriteAsync(HttpContext context) => ApiErrors.WriteAsync(context, Status, Message, Type, Code, Param);
}
