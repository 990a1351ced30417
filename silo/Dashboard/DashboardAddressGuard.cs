using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;

namespace Parley.Silo.Dashboard;

/// <summary>The Orleans Dashboard's per-silo routes (<c>/dashboard/SiloCounters/{*address}</c>, <c>HistoricalStats/{*path}</c>,
/// ...) address a grain by the silo address in the URL and fail with a 500 when it is not one. The address is checked
/// here first: one that does not parse is a 404 in OpenAI's shape.</summary>
internal static class DashboardAddressGuard
{
    private static readonly string[] AddressRouteValues = ["address", "path"];

    public static WebApplication UseDashboardAddressGuard(this WebApplication app, string dashboardPath)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(dashboardPath, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var name in AddressRouteValues)
                {
                    if (context.Request.RouteValues.TryGetValue(name, out var value) && value is string address && !IsSiloAddress(address))
                    {
                        await ApiErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"No silo with address '{address}'.", OpenAIErrorTypes.InvalidRequest, "silo_not_found");
                        return;
                    }
                }
            }
            await next(context);
        });
        return app;
    }

    private static bool IsSiloAddress(string text)
    {
        try
        {
            return SiloAddress.FromParsableString(text) is not null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            return false;
        }
    }
}
