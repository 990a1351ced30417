using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Parley.Silo.Auth;

namespace Parley.Silo.OpenApi;

/// <summary>The OpenAPI document of the public API (<c>/v1</c>) and the admin API (<c>/admin</c>), served at
/// <see cref="DocumentPath"/> without authentication: it describes routes and shapes, never keys or data. Built by
/// Microsoft.AspNetCore.OpenApi from the endpoints themselves, so a route mapped under /v1 or /admin appears in it;
/// every operation says which key it needs and answers its errors in OpenAI's shape.</summary>
public static class OpenApiExtensions
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ErrorSchema = "OpenAIErrorBody";
    private const string BearerScheme = "bearer";

    public static WebApplicationBuilder AddParleyOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.ShouldInclude = static description => description.RelativePath is { } path
                && (path.StartsWith("v1/", StringComparison.Ordinal) || path == "v1" || path.StartsWith("admin/", StringComparison.Ordinal))
                && !path.StartsWith("admin/sign-", StringComparison.Ordinal);
            options.AddDocumentTransformer(static (document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Parley",
                    Version = "1",
                    Description = "Parley's OpenAI-compatible public API (/v1, a user's virtual key) and its admin API (/admin, the admin key). Every error is OpenAI's {\"error\":{\"message\",\"type\",\"param\",\"code\"}}.",
                    License = new OpenApiLicense { Name = "Proprietary", Url = new Uri("https://example.invalid/parley/license") },
                };
                document.Servers = [new OpenApiServer { Url = "http://127.0.0.1:8080", Description = "a local silo" }];
                document.Components ??= new OpenApiComponents();
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                document.Components.Schemas[ErrorSchema] = OpenApiSchemas.ErrorBody();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "A virtual key (sk-parley-…) for /v1, the admin key for /admin.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(static (operation, context, _) =>
            {
                var document = context.Document!;
                var role = context.Description.ActionDescriptor.EndpointMetadata.OfType<ParleyAuthMetadata>().LastOrDefault()?.Role;
                var name = context.Description.RelativePath ?? "";
                operation.OperationId ??= OperationIds.For(context.Description.HttpMethod ?? "GET", name);
                operation.Summary ??= $"{context.Description.HttpMethod} /{name}";
                operation.Description ??= role == ParleyRole.Admin ? "Needs the admin key." : "Needs a virtual key.";
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
                operation.Responses ??= new OpenApiResponses();
                if (operation.Responses.Count == 0 || !operation.Responses.Keys.Any(k => k.StartsWith('2')))
                {
                    operation.Responses["200"] = new OpenApiResponse { Description = "Success.", Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } } };
                }
                var error = new OpenApiSchemaReference(ErrorSchema, document);
                operation.Responses["4XX"] = new OpenApiResponse
                {
                    Description = "The request was refused: OpenAI's error shape (400 bad input, 401 no or a wrong key, 403 the wrong kind of key, 404, 413, 415, 429 with Retry-After).",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = error } },
                };
                operation.Responses["5XX"] = new OpenApiResponse
                {
                    Description = "An upstream or cluster failure (502, 503 with Retry-After, 504), in OpenAI's error shape.",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = error } },
                };
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapParleyOpenApi(this WebApplication app)
    {
        // A literal path: the one document, and any other name is an unknown URL (404 in OpenAI's shape).
        app.MapOpenApi(DocumentPath);
        return app;
    }
}
