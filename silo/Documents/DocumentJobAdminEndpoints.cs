using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.GrainInterfaces.Documents;
using Parley.Silo.Api;
using Parley.Silo.Batches;
using Parley.Silo.Cluster;

namespace Parley.Silo.Documents;

/// <summary><c>GET /admin/document_jobs/{id}</c>: any user's document job and the silo running it.</summary>
internal static class DocumentJobAdminEndpoints
{
    public static RouteGroupBuilder Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/document_jobs/{jobId}", async (string jobId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls) =>
        {
            if (!DocumentJobIds.Is(jobId)
                || await clusterCalls.RunAsync(() => grains.GetGrain<IDocumentJobGrain>(jobId).InspectAsync(), context.RequestAborted)
                    is not ({ } job, var silo))
            {
                return ApiErrors.NotFound($"No document job found with id '{jobId}'.", DocumentJobEndpoints.NotFoundCode);
            }
            return BatchJson.Inspection(silo, "job", job, DocumentJobJson.Job);
        }).Produces<DocumentJobInspection>();
        return admin;
    }
}
