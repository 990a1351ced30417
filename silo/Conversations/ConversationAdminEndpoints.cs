using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Cluster;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Conversations;

/// <summary>Operator views of conversations (admin key only; they cross users by design).</summary>
internal static class ConversationAdminEndpoints
{
    public static RouteGroupBuilder Map(RouteGroupBuilder admin)
    {
        admin.MapGroup("/conversations/{conversationId}").AddEndpointFilter(ConversationEndpoints.RefuseInvalidIdAsync)
            .MapGet("/context", GetWorkingContextAsync).Produces<WorkingContext>().RefusesWith(StatusCodes.Status400BadRequest);
        return admin;
    }

    /// <summary>What the next prompt is built from: pinned system prompt, summary, the items that fit the last
    /// turn's budget, and their token counts. The transcript itself is <c>GET /v1/conversations/{id}/items</c>.</summary>
    internal static async Task<IResult> GetWorkingContextAsync(string conversationId, HttpContext http, IGrainFactory grains, ClusterCalls clusterCalls)
    {
        var grain = grains.GetGrain<IConversationGrain>(conversationId);
        var context = await clusterCalls.RunAsync(() => grain.GetWorkingContextAsync(), http.RequestAborted);
        return context is null
            ? ConversationEndpoints.NotFound(conversationId)
            : Results.Json(context, WorkingContextJsonContext.Default.WorkingContext);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WorkingContext))]
internal sealed partial class WorkingContextJsonContext : JsonSerializerContext;
