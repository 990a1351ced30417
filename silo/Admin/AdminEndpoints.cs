using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Admin;

public static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder group) => group; // TODO(auth helper)
}
