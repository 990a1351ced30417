using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Summaries;
using Parley.Silo.Conversations.Summaries;

namespace Parley.Silo.Conversations;

public static class ConversationExtensions
{
    /// <summary>The conversation grain's services: transcript store, context settings, lifecycle and the summariser
    /// (its idle timeout, Parley:Conversations:IdleTimeout, is given to Orleans by AddParleyCluster).</summary>
    public static WebApplicationBuilder AddParleyConversations(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ConversationOptions.SectionName);
        builder.Services.AddOptions<ConversationOptions>().Bind(section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConversationOptions>, ConversationOptionsValidator>());

        var configuration = builder.Configuration;
        builder.Services.AddConversationGrain(o => configuration.GetSection(ConversationContextOptions.SectionName).Bind(o));
        builder.Services.AddSingleton<IConversationSummarizer, UpstreamConversationSummarizer>();
        return builder;
    }

    public static RouteGroupBuilder MapConversations(this RouteGroupBuilder group) => ConversationEndpoints.Map(group);

    /// <summary>Operator routes under /admin.</summary>
    public static RouteGroupBuilder MapConversationAdmin(this RouteGroupBuilder admin) => ConversationAdminEndpoints.Map(admin);
}
