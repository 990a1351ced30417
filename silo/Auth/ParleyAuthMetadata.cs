using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Auth;

public enum ParleyRole
{
    User,
    Admin,
}

/// <summary>Endpoint metadata read by the authentication middleware: which kind of key the endpoint needs.</summary>
public sealed record ParleyAuthMetadata(ParleyRole Role);

public static class ParleyAuthEndpointExtensions
{
    /// <summary>Requires a valid user (virtual) key; answers 401 in OpenAI's shape otherwise.</summary>
    public static TBuilder RequireParleyUser<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new ParleyAuthMetadata(ParleyRole.User));

    /// <summary>Requires the admin key; a user key gets 403.</summary>
    public static TBuilder RequireParleyAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new ParleyAuthMetadata(ParleyRole.Admin));
}
