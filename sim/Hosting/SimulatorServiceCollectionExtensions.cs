using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.Sim.Anthropic;
using Parley.Sim.Auth;
using Parley.Sim.Azure;
using Parley.Sim.Chat;
using Parley.Sim.Faults;
using Parley.Sim.Models;
using Parley.Sim.Observability;
using Parley.Sim.RateLimits;
using Parley.Sim.Tokens;

namespace Parley.Sim.Hosting;

/// <summary>Adds the simulator to any ASP.NET Core app: its services (<see cref="AddSimulator"/>) and its routes
/// (<see cref="MapSimulator"/>), optionally under a path prefix so they do not clash with the host's own /v1.</summary>
public static class SimulatorServiceCollectionExtensions
{
    /// <summary>Registers the simulator's services with options bound from <paramref name="configuration"/> (the
    /// "Simulator" section when standalone) and validated at start. Uses the app's TimeProvider, or the system's.</summary>
    public static IServiceCollection AddSimulator(this IServiceCollection services, IConfiguration configuration, Action<SimulatorOptions>? configure = null)
    {
        var optionsBuilder = services.AddOptions<SimulatorOptions>().Bind(configuration);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }
        optionsBuilder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ModelTokenizers>();
        services.TryAddSingleton<SimulatorState>();
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<ContextWindows>();
        services.TryAddSingleton<SimulatorAuthenticator>();
        services.TryAddSingleton<ChatRequestParser>();
        services.TryAddSingleton<FaultControl>();
        services.TryAddSingleton<FaultPlanner>();
        services.TryAddSingleton<FaultEndpoints>();
        services.TryAddSingleton<ReplyPacer>();
        services.TryAddSingleton<KeyRateLimiter>();
        services.TryAddSingleton<CompletionResponder>();
        services.TryAddSingleton<ChatCompletionsEndpoint>();
        services.TryAddSingleton<MessagesRequestParser>();
        services.TryAddSingleton<MessagesResponder>();
        services.TryAddSingleton<MessagesEndpoint>();
        services.TryAddSingleton<ModelsEndpoints>();
        services.TryAddSingleton<StatsEndpoints>();
        return services;
    }

    /// <summary>Maps POST /v1/chat/completions, POST /openai/deployments/{deployment}/chat/completions (Azure OpenAI),
    /// POST /v1/messages (Anthropic),
    /// GET /v1/models[/{id}], GET /sim/stats, GET /sim/requests, GET and POST /sim/faults and POST /sim/reset under
    /// <paramref name="prefix"/>. Handlers are plain RequestDelegates (no parameter binding).</summary>
    public static RouteGroupBuilder MapSimulator(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        var services = endpoints.ServiceProvider;
        var chat = services.GetRequiredService<ChatCompletionsEndpoint>();
        var messages = services.GetRequiredService<MessagesEndpoint>();
        var models = services.GetRequiredService<ModelsEndpoints>();
        var stats = services.GetRequiredService<StatsEndpoints>();
        var faults = services.GetRequiredService<FaultEndpoints>();
        var group = endpoints.MapGroup(prefix);
        group.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleAsync);
        group.MapPost(AzureDeployments.Route, (RequestDelegate)chat.HandleAzureAsync);
        group.MapPost("/v1/messages", (RequestDelegate)messages.HandleAsync);
        group.MapGet("/v1/models", (RequestDelegate)models.ListAsync);
        group.MapGet("/v1/models/{id}", (RequestDelegate)models.GetAsync);
        group.MapGet("/sim/stats", (RequestDelegate)stats.StatsAsync);
        group.MapGet("/sim/requests", (RequestDelegate)stats.RequestsAsync);
        group.MapPost("/sim/reset", (RequestDelegate)stats.ResetAsync);
        group.MapGet("/sim/faults", (RequestDelegate)faults.GetAsync);
        group.MapPost("/sim/faults", (RequestDelegate)faults.PostAsync);
        return group;
    }
}
