using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.GrainInterfaces.Batches;
using Parley.Silo.Api;
using Parley.Silo.Cluster;

namespace Parley.Silo.Batches;

/// <summary><c>GET /admin/batches/{id}</c>: any user's batch (OpenAI's Batch object) and the silo running it.</summary>
internal static class BatchAdminEndpoints
{
    public static RouteGroupBuilder Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/batches/{batchId}", async (string batchId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls) =>
        {
            if (!BatchIds.IsBatch(batchId)
                || await clusterCalls.RunAsync(() => grains.GetGrain<IBatchGrain>(batchId).InspectAsync(), context.RequestAborted)
                    is not ({ } batch, var silo))
            {
                return ApiErrors.NotFound($"No batch found with id '{batchId}'.", BatchEndpoints.NotFoundCode);
            }
            return BatchJson.Inspection(silo, "batch", batch, BatchJson.Batch);
        }).Produces<BatchInspection>();
        return admin;
    }
}
