using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Sim.Api;
using Parley.Sim.Auth;
using Parley.Sim.Faults;

namespace Parley.Sim.Observability;

/// <summary>GET /sim/stats, GET /sim/requests and POST /sim/reset: the simulator's state for out-of-process
/// tests, behind the same key check as the API. A reset also puts the configured fault settings back.</summary>
internal sealed class StatsEndpoints(SimulatorState state, FaultControl faults, SimulatorAuthenticator authenticator)
{
    public Task StatsAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } error)
        {
            return SimErrors.WriteAsync(context, error);
        }
        return context.Response.WriteAsJsonAsync(state.Snapshot(), SimJsonContext.Default.SimStats, "application/json", context.RequestAborted);
    }

    public Task RequestsAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } error)
        {
            return SimErrors.WriteAsync(context, error);
        }
        var list = new RecordedRequestList("list", [.. state.RecentRequests.Select(View)]);
        return context.Response.WriteAsJsonAsync(list, SimJsonContext.Default.RecordedRequestList, "application/json", context.RequestAborted);
    }

    public Task ResetAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } error)
        {
            return SimErrors.WriteAsync(context, error);
        }
        state.Reset();
        faults.Reset();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static RecordedRequestView View(RecordedRequest request)
    {
        JsonElement body;
        if (request.IsJson)
        {
            using var document = JsonDocument.Parse(request.Body);
            body = document.RootElement.Clone();
        }
        else
        {
            body = JsonSerializer.SerializeToElement(request.Body, SimJsonContext.Default.String);
        }
        return new RecordedRequestView(request.Sequence, request.ReceivedAt, request.Path, request.KeyHint, body, request.TraceParent);
    }
}
