using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Providers;

public static class ModelEndpoints
{
    public static RouteGroupBuilder MapModels(this RouteGroupBuilder group) => group; // TODO(silo-core helper)
}
