using Microsoft.AspNetCore.Http;
using Parley.Sim.Api;

namespace Parley.Sim.Azure;

/// <summary>Azure OpenAI's deployment route, <c>POST /openai/deployments/{deployment}/chat/completions?api-version=…</c>:
/// what it checks before the request is an ordinary chat completion (the deployment name is the model), and the
/// errors Azure answers for them, in Azure's own words and shape.</summary>
internal static class AzureDeployments
{
    public const string Route = "/openai/deployments/{deployment}/chat/completions";
    public const string DeploymentRouteValue = "deployment";
    public const string ApiVersionParameter = "api-version";

    /// <summary>Azure answers a request without api-version as an unknown route.</summary>
    public static readonly SimError MissingApiVersion = new(StatusCodes.Status404NotFound, "Resource not found", "", Code: "404", Shape: ErrorShape.Azure);

    public static readonly SimError UnsupportedApiVersion = new(StatusCodes.Status400BadRequest, "API version not supported", "", Code: "BadRequest", Shape: ErrorShape.Azure);

    public static readonly SimError AccessDenied = new(StatusCodes.Status401Unauthorized,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        "", Code: "401", Shape: ErrorShape.Azure);

    public static readonly SimError DeploymentNotFound = new(StatusCodes.Status404NotFound,
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        "", Code: "DeploymentNotFound", Shape: ErrorShape.Azure);

    /// <summary>The deployment named by the route.</summary>
    public static string Deployment(HttpRequest request) => request.RouteValues[DeploymentRouteValue] as string ?? "";

    /// <summary>The error for a missing or malformed api-version, or null. Dated versions (<c>2024-10-21</c>,
    /// <c>2025-01-01-preview</c>) and the v1 API's <c>latest</c> and <c>preview</c> are accepted.</summary>
    public static SimError? CheckApiVersion(HttpRequest request)
    {
        var values = request.Query[ApiVersionParameter];
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return MissingApiVersion;
        }
        return values.Count == 1 && IsVersion(values[0]) ? null : UnsupportedApiVersion;
    }

    private static bool IsVersion(ReadOnlySpan<char> value)
    {
        if (value is "latest" or "preview")
        {
            return true;
        }
        if (value.EndsWith("-preview", StringComparison.Ordinal))
        {
            value = value[..^"-preview".Length];
        }
        // yyyy-MM-dd
        if (value.Length != 10 || value[4] != '-' || value[7] != '-')
        {
            return false;
        }
        foreach (var i in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 8, 9])
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                return false;
            }
        }
        return true;
    }
}
