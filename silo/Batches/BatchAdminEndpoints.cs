using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.GrainInterfaces.Batches;
using Parley.Silo.Api;

namespace Parley.Silo.Batches;

/// <summary><c>GET /admin/batches/{id}</c>: any user's batch (OpenAI's Batch object) and the silo running it.</summary>
internal static class BatchAdminEndpoints
{
    public static RouteGroupBuilder Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/batches/{batchId}", async (string batchId, IGrainFactory grains) =>
        {
            if (!BatchIds.IsBatch(batchId) || await grains.GetGrain<IBatchGrain>(batchId).InspectAsync() is not ({ } batch, var silo))
            {
                return ApiErrors.NotFound($"No batch found with id '{batchId}'.", BatchEndpoints.NotFoundCode);
            }
            return BatchJson.Inspection(silo, "batch", batch, BatchJson.Batch);
        }).Produces<BatchInspection>();
        return admin;
    }
}
