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
using Parley.Runtime.Hosting;

namespace Parley.Silo.Conversations;

public static class ConversationExtensions
{
    /// <summary>The conversation grain (idle timeout from Parley:Conversations:IdleTimeout) and its state serialiser.</summary>
    public static WebApplicationBuilder AddParleyConversations(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ConversationOptions.SectionName);
        builder.Services.AddOptions<ConversationOptions>().Bind(section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConversationOptions>, ConversationOptionsValidator>());

        // The grain registration needs the value now, before the container exists: validate it here too.
        var options = new ConversationOptions();
        section.Bind(options);
        var validation = new ConversationOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(ConversationOptions), typeof(ConversationOptions), validation.Failures);
        }

        var configuration = builder.Configuration;
        builder.Services.AddConversationGrain(options.IdleTimeout, o => configuration.GetSection(ConversationContextOptions.SectionName).Bind(o));
        builder.Services.AddSingleton<IConversationSummarizer, UpstreamConversationSummarizer>();
        return builder;
    }

    public static RouteGroupBuilder MapConversations(this RouteGroupBuilder group) => ConversationEndpoints.Map(group);

    /// <summary>Operator routes under /admin.</summary>
    public static RouteGroupBuilder MapConversationAdmin(this RouteGroupBuilder admin) => ConversationAdminEndpoints.Map(admin);
}
