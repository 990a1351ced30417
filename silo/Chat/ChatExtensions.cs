using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Chat;

public static class ChatExtensions
{
    public static WebApplicationBuilder AddParleyChat(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChatLimitsOptions>()
            .Bind(builder.Configuration.GetSection(ChatLimitsOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ChatLimitsOptions>, ChatLimitsOptionsValidator>();
        builder.Services.AddSingleton<PromptPlanner>();
        builder.Services.AddSingleton<ChatCompletionHandler>();
        builder.Services.AddSingleton<Telemetry.ChatTelemetry>();
        return builder;
    }

    public static RouteGroupBuilder MapChatCompletions(this RouteGroupBuilder group)
    {
        // A plain RequestDelegate: no parameter binding, the handler reads the body itself within its size limit.
        // A route handler, not a RequestDelegate (endpoints of the latter are left out of the OpenAPI document).
        group.MapPost("/chat/completions", static (HttpContext context, ChatCompletionHandler handler) => handler.HandleAsync(context))
            .AcceptsJson<ChatCompletionRequest>()
            .Produces<ChatCompletion>(StatusCodes.Status200OK, EndpointSchemas.Json, EndpointSchemas.EventStream)
            .RefusesWith(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity,
                StatusCodes.Status429TooManyRequests, StatusCodes.Status502BadGateway, StatusCodes.Status504GatewayTimeout);
        return group;
    }
}
