using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Parley.Silo.OpenApi;

/// <summary>Schemas shared by every operation (the endpoints describe their own bodies through their metadata).</summary>
internal static class OpenApiSchemas
{
    /// <summary>OpenAI's error body: <c>{"error":{"message","type","param","code"}}</c>; param and code may be null.</summary>
    public static OpenApiSchema ErrorBody() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { "error" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["error"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "message", "type", "code" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["param"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                },
            },
        },
        Examples = [JsonNode.Parse("""{"error":{"message":"Missing required parameter: 'model'.","type":"invalid_request_error","param":"model","code":"missing_required_parameter"}}""")!],
    };
}

/// <summary>Stable operation ids from method and route: <c>POST v1/chat/completions</c> → <c>post_v1_chat_completions</c>.</summary>
internal static class OperationIds
{
    public static string For(string method, string path)
    {
        var chars = (method.ToLowerInvariant() + "_" + path).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        return new string(chars).Replace("__", "_", StringComparison.Ordinal).TrimEnd('_');
    }
}
