using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Parley.Silo.OpenApi;

/// <summary>The error answers of an operation, each a status of its own with OpenAI's error schema. Every route of
/// /v1 and /admin needs a key (401 without or with a wrong one, 403 with the wrong kind, 503 while the key store or
/// the cluster cannot answer); a route with a body refuses a bad one (400, 413); one with query parameters refuses bad
/// values (400: a query parameter with bounds or a set of values); one with path parameters answers 404 for what it does not find. Beyond these an endpoint declares its
/// own (<see cref="EndpointSchemas.RefusesWith"/>), so a route added later gets the common ones without any work.</summary>
internal static class ErrorResponses
{
    private static readonly Dictionary<int, string> Descriptions = new()
    {
        [StatusCodes.Status400BadRequest] = "The request is malformed or a value is invalid (param names the field).",
        [StatusCodes.Status401Unauthorized] = "No key, or a key that is not valid (revoked, unknown, its user disabled).",
        [StatusCodes.Status403Forbidden] = "The key is of the wrong kind for this route (a user key on /admin, the admin key on /v1).",
        [StatusCodes.Status404NotFound] = "Not found, or not the caller's (another user's object answers exactly like a missing one).",
        [StatusCodes.Status409Conflict] = "A request with this Idempotency-Key is still being answered.",
        [StatusCodes.Status413PayloadTooLarge] = "The body is larger than the silo accepts.",
        [StatusCodes.Status422UnprocessableEntity] = "The Idempotency-Key was already used for a different request.",
        [StatusCodes.Status429TooManyRequests] = "A quota or rate limit of the user or key refused the request; Retry-After says when to retry.",
        [StatusCodes.Status502BadGateway] = "The upstream provider failed or answered something unusable.",
        [StatusCodes.Status503ServiceUnavailable] = "The key store, quota store or cluster is briefly unavailable, or the silo is shutting down; Retry-After says when to retry.",
        [StatusCodes.Status504GatewayTimeout] = "The upstream provider did not answer in time.",
    };

    public static void Apply(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var statuses = new SortedSet<int> { StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status503ServiceUnavailable };
        var description = context.Description;
        if (operation.RequestBody is not null)
        {
            statuses.Add(StatusCodes.Status400BadRequest);
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
        }
        if (operation.Parameters?.Any(p => p.In == ParameterLocation.Query && p.Schema is { } schema
            && (schema.Minimum is not null || schema.Maximum is not null || schema.Enum is { Count: > 0 })) == true)
        {
            statuses.Add(StatusCodes.Status400BadRequest);
        }
        if (description.RelativePath?.Contains('{', StringComparison.Ordinal) == true)
        {
            statuses.Add(StatusCodes.Status404NotFound);
        }
        foreach (var declared in description.ActionDescriptor.EndpointMetadata.OfType<OpenAIErrorsMetadata>())
        {
            statuses.UnionWith(declared.Statuses);
        }
        var error = new OpenApiSchemaReference(OpenApiExtensions.ErrorSchema, context.Document);
        operation.Responses ??= new OpenApiResponses();
        foreach (var status in statuses)
        {
            var response = new OpenApiResponse
            {
                Description = Descriptions.GetValueOrDefault(status, "Refused, in OpenAI's error shape."),
                Content = new Dictionary<string, OpenApiMediaType> { [EndpointSchemas.Json] = new() { Schema = error } },
            };
            if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader
                    {
                        Description = "Seconds to wait before retrying.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
                    },
                };
            }
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
        }
    }
}
