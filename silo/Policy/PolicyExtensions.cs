using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Policy;

public static class PolicyExtensions
{
    /// <summary>The PII and keyword policy: options (Parley:Policy), compiled policies, assignments, the chat steps.</summary>
    public static WebApplicationBuilder AddParleyPolicy(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PolicyOptions>().Bind(builder.Configuration.GetSection(PolicyOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>());
        services.AddSingleton<PolicyCatalog>();
        services.AddSingleton<PolicyAssignmentCache>();
        services.AddSingleton<PolicyMetrics>();
        services.AddSingleton<InputPolicy>();
        services.AddSingleton<ChatPolicy>();
        services.AddSingleton<ConversationPolicy>();
        return builder;
    }

    public static RouteGroupBuilder MapPolicyAdmin(this RouteGroupBuilder admin) => PolicyAdminEndpoints.Map(admin);
}
