using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Documents;

public static class DocumentJobExtensions
{
    /// <summary>Long-document jobs under /v1 (their grain uses the Batch API's stores and line executor).</summary>
    public static RouteGroupBuilder MapDocumentJobs(this RouteGroupBuilder group) => DocumentJobEndpoints.Map(group);

    /// <summary>Operator routes under /admin.</summary>
    public static RouteGroupBuilder MapDocumentJobAdmin(this RouteGroupBuilder admin) => DocumentJobAdminEndpoints.Map(admin);
}
