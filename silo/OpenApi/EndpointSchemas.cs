using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Parley.Silo.OpenApi;

/// <summary>What an endpoint declares for the OpenAPI document beside <c>Produces&lt;T&gt;</c>: its request body, its
/// query parameters, the error statuses of its own (beyond those every route of its kind has, see
/// <see cref="ErrorResponses"/>), and that a POST takes no body. Parley's endpoints read their bodies by hand (one
/// strict reader for every API), so the request type is metadata only: the shape the reader enforces.</summary>
public static class EndpointSchemas
{
    public const string Json = "application/json";
    public const string EventStream = "text/event-stream";

    /// <summary>The JSON body the endpoint reads (its fields and the limits its validator enforces).</summary>
    public static RouteHandlerBuilder AcceptsJson<TRequest>(this RouteHandlerBuilder builder, bool optional = false)
        => builder.AcceptsBody<TRequest>(Json, optional);

    /// <summary>The body the endpoint reads, for the document only. Not ASP.NET Core's <c>Accepts&lt;T&gt;</c>: that
    /// metadata also makes routing refuse any other Content-Type with 415, and Parley's routes judge a body by its bytes
    /// whatever its header says (hostile-input rules, docs/security.md).</summary>
    public static RouteHandlerBuilder AcceptsBody<TRequest>(this RouteHandlerBuilder builder, string contentType, bool optional = false)
        => builder.WithMetadata(new RequestBodySchemaMetadata(typeof(TRequest), contentType, optional));

    /// <summary>A POST that reads no body (an action on the resource in its path).</summary>
    public static TBuilder NoRequestBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(NoRequestBodyMetadata.Instance);

    /// <summary>Query parameters the endpoint reads by hand (a list's limit, order and cursor), with the bounds its
    /// parser enforces; a value out of them is 400.</summary>
    public static TBuilder AcceptsQuery<TBuilder>(this TBuilder builder, params QueryParameter[] parameters) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new QueryParametersMetadata(parameters));

    /// <summary>Error statuses this endpoint answers beyond the ones <see cref="ErrorResponses"/> gives every route of
    /// its kind (401/403/503 always; 400/413 with a body; 400 with query parameters; 404 with path parameters).</summary>
    public static TBuilder RefusesWith<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new OpenAIErrorsMetadata(statuses));
}

/// <summary>The type that describes a body the endpoint reads by hand, and its media type.</summary>
public sealed record RequestBodySchemaMetadata(Type Type, string ContentType, bool Optional);

/// <summary>An optional query parameter: an integer within <see cref="Minimum"/>..<see cref="Maximum"/>, one of
/// <see cref="Values"/>, or any string.</summary>
public sealed record QueryParameter(string Name, string Description)
{
    public long? Minimum { get; init; }

    public long? Maximum { get; init; }

    public IReadOnlyList<string>? Values { get; init; }
}

public sealed record QueryParametersMetadata(IReadOnlyList<QueryParameter> Parameters);

/// <summary>The endpoint's error statuses of its own, each answered in OpenAI's error shape.</summary>
public sealed record OpenAIErrorsMetadata(IReadOnlyList<int> Statuses);

/// <summary>Marks a POST/PUT that reads no body, so the document test does not ask for a request schema.</summary>
public sealed class NoRequestBodyMetadata
{
    public static readonly NoRequestBodyMetadata Instance = new();

    private NoRequestBodyMetadata()
    {
    }
}

/// <summary>Marks a type that describes a request body: its <c>required</c> list is its C# <c>required</c> members
/// only. Every other type in the document describes an answer, whose every property that is always written is required.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequestSchemaAttribute : Attribute
{
    /// <summary>A valid body, as JSON: the document's example, and what generated tests (Portman) start from.</summary>
    public string? Example { get; init; }
}

/// <summary>An OpenAI metadata map: the limits <c>ConversationRequestParser.ParseMetadata</c> enforces (pairs, key and
/// value lengths) are added to its schema.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
public sealed class OpenAIMetadataAttribute : Attribute;
