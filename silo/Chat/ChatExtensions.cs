using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Chat;

public static class ChatExtensions
{
    public static WebApplicationBuilder AddParleyChat(this WebApplicationBuilder builder) => builder; // TODO(silo-core helper)
    public static RouteGroupBuilder MapChatCompletions(this RouteGroupBuilder group) => group; // TODO(silo-core helper)
}
