using System.Text.Json;
using System.Text.Json.Serialization;
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
        // Microsoft.AspNetCore.OpenApi derives schemas through the host's HTTP JSON options. No Parley endpoint serializes
        // or binds through them (each writes with its feature's source-generated context and reads bodies by hand), so
        // they are set to describe what those contexts write: snake_case names where a type has no JsonPropertyName of
        // its own (the quota and working-context contexts), numbers as numbers, nullability as annotated.
        builder.Services.ConfigureHttpJsonOptions(static options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.SerializerOptions.RespectNullableAnnotations = true;
        });
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
            options.AddSchemaTransformer(SchemaRules.ApplyAsync);
            options.AddOperationTransformer(static async (operation, context, cancellationToken) =>
            {
                var document = context.Document!;
                var role = context.Description.ActionDescriptor.EndpointMetadata.OfType<ParleyAuthMetadata>().LastOrDefault()?.Role;
                var name = context.Description.RelativePath ?? "";
                operation.OperationId ??= OperationIds.For(context.Description.HttpMethod ?? "GET", name);
                operation.Summary ??= $"{context.Description.HttpMethod} /{name}";
                operation.Description ??= role == ParleyRole.Admin ? "Needs the admin key." : "Needs a virtual key.";
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
                await DescribeBodyAsync(operation, context, cancellationToken);
                DescribeQuery(operation, context.Description.ActionDescriptor.EndpointMetadata);
                DescribeStreams(operation);
                ErrorResponses.Apply(operation, context);
            });
        });
        return builder;
    }

    /// <summary>The request body from <see cref="RequestBodySchemaMetadata"/>: its type's schema, a component of the
    /// document referenced by name.</summary>
    private static async Task DescribeBodyAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodySchemaMetadata>().LastOrDefault() is not { } body)
        {
            return;
        }
        var document = context.Document!;
        var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
        document.AddComponent(body.Type.Name, schema);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = !body.Optional,
            Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new() { Schema = new OpenApiSchemaReference(body.Type.Name, document) } },
        };
    }

    private static void DescribeQuery(OpenApiOperation operation, IList<object> metadata)
    {
        foreach (var parameter in metadata.OfType<QueryParametersMetadata>().SelectMany(m => m.Parameters))
        {
            var schema = new OpenApiSchema { Type = parameter.Minimum is not null || parameter.Maximum is not null ? JsonSchemaType.Integer : JsonSchemaType.String };
            if (parameter.Minimum is { } minimum)
            {
                schema.Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (parameter.Maximum is { } maximum)
            {
                schema.Maximum = maximum.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (parameter.Values is { } values)
            {
                schema.Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))];
            }
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = parameter.Name,
                In = ParameterLocation.Query,
                Required = false,
                Description = parameter.Description,
                Schema = schema,
            });
        }
    }

    /// <summary>A streamed answer is Server-Sent Events: <c>data: {chunk}</c> lines ending with <c>data: [DONE]</c>, not one
    /// JSON document, so its schema is text.</summary>
    private static void DescribeStreams(OpenApiOperation operation)
    {
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (status.StartsWith('2') && response.Content?.TryGetValue(EndpointSchemas.EventStream, out var stream) == true)
            {
                stream.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "Server-Sent Events: one `data: {chat.completion.chunk}` line per chunk, then `data: [DONE]` (sent when the request says \"stream\": true).",
                };
            }
        }
    }

    public static WebApplication MapParleyOpenApi(this WebApplication app)
    {
        // A literal path: the one document, and any other name is an unknown URL (404 in OpenAI's shape).
        app.MapOpenApi(DocumentPath);
        return app;
    }
}
