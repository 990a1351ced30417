using Microsoft.AspNetCore.Builder;

namespace Parley.Silo.Auth;

public static class AuthExtensions
{
    public static WebApplicationBuilder AddParleyAuth(this WebApplicationBuilder builder) => builder; // TODO(auth helper)
    public static WebApplication UseParleyAuth(this WebApplication app) => app; // TODO(auth helper)
}
