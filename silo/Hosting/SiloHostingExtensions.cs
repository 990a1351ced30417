using Microsoft.AspNetCore.Builder;
using Parley.Silo.Admin;
using Parley.Silo.Api;
using Parley.Silo.Audit;
using Parley.Silo.Auth;
using Parley.Silo.Batches;
using Parley.Silo.Cache;
using Parley.Silo.Chat;
using Parley.Silo.Conversations;
using Parley.Silo.Dashboard;
using Parley.Silo.Documents;
using Parley.Silo.Health;
using Parley.Silo.OpenApi;
using Parley.Silo.OperatorConsole;
using Parley.Silo.Policy;
using Parley.Silo.Providers;
using Parley.Silo.Quotas;
using Parley.Silo.Routing;
using Parley.ServiceDefaults;
using Parley.Silo.Telemetry;

namespace Parley.Silo;

/// <summary>The one place that composes the silo: each feature folder contributes an Add* and a Map* method.</summary>
public static class SiloHostingExtensions
{
    /// <summary>The silo's <c>service.name</c> in traces, metrics and logs.</summary>
    public const string ServiceName = "parley-silo";

    public static WebApplicationBuilder AddParleySilo(this WebApplicationBuilder builder)
    {
        builder.AddParleyServiceDefaults(ServiceName, typeof(SiloHostingExtensions).Assembly);
        builder.AddParleyCluster();
        builder.AddParleyHealth();
        builder.AddParleyAuth();
        builder.AddParleyProviders();
        builder.AddParleyChat();
        builder.AddParleyConversations();
        builder.AddParleyBatches();
        builder.AddParleyResponseCache();
        builder.AddParleyPolicy();
        builder.AddParleyQuotas();
        builder.AddParleyDashboard();
        builder.AddParleyConsole();
        builder.AddParleyTelemetry();
        builder.AddParleyAudit();
        builder.AddParleyOpenApi();
        return builder;
    }

    public static WebApplication MapParleySilo(this WebApplication app)
    {
        // The management port (Prometheus) first: nothing of the API, its auth or its errors applies there.
        app.UseParleyServiceDefaults();
        // Outside the error handling: each audit record carries the status the client got.
        app.UseParleyAudit();
        app.UseParleyErrors();
        app.UseParleyAuth();
        app.MapHealth();
        var v1 = app.MapGroup("/v1").RequireParleyUser();
        v1.MapModels();
        v1.MapChatCompletions();
        v1.MapConversations();
        v1.MapBatches();
        v1.MapDocumentJobs();
        v1.MapQuotas();
        app.MapGroup("/admin").RequireParleyAdmin().MapAdminApi().MapConversationAdmin().MapQuotaAdmin().MapUpstreamKeyAdmin().MapRoutingAdmin().MapPolicyAdmin().MapBatchAdmin().MapDocumentJobAdmin().MapAuditAdmin();
        app.MapParleyDashboard();
        app.MapParleyConsole();
        app.MapParleyOpenApi();
        return app;
    }
}
