using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Conversations;

public static class ConversationExtensions
{
    public static WebApplicationBuilder AddParleyConversations(this WebApplicationBuilder builder) => builder; // TODO(conversations helper)
    public static RouteGroupBuilder MapConversations(this RouteGroupBuilder group) => group; // TODO(conversations helper)
}
