using Microsoft.AspNetCore.Routing;
using Parley.GrainInterfaces.Documents;
using Parley.Silo.Api;
using Parley.Silo.Batches;

namespace Parley.Silo.Documents;

/// <summary><c>GET /admin/document_jobs/{id}</c>: any user's document job and the silo running it.</summary>
internal static class DocumentJobAdminEndpoints
{
    public static RouteGroupBuilder Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/document_jobs/{jobId}", async (string jobId, IGrainFactory grains) =>
        {
            if (!DocumentJobIds.Is(jobId) || await grains.GetGrain<IDocumentJobGrain>(jobId).InspectAsync() is not ({ } job, var silo))
            {
                return ApiErrors.NotFound($"No document job found with id '{jobId}'.", DocumentJobEndpoints.NotFoundCode);
            }
            return BatchJson.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("silo", silo);
                w.WritePropertyName("job");
                DocumentJobJson.Job(w, job);
                w.WriteEndObject();
            });
        });
        return admin;
    }
}
