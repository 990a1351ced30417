using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Parley.Silo.Conversations;

namespace Parley.Silo.OpenApi;

/// <summary>Makes each generated schema say what the silo really writes and reads: an answer's properties that are
/// always written are required (and only those: one omitted when null is optional); a request's required properties are
/// its C# <c>required</c> members; <see cref="AllowedValuesAttribute"/> becomes an <c>enum</c>; an OpenAI metadata map
/// gets its limits.</summary>
internal static class SchemaRules
{
    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo is { } property)
        {
            ApplyProperty(schema, property);
        }
        else if (context.JsonTypeInfo is { Kind: JsonTypeInfoKind.Object } type && schema.Properties is { Count: > 0 })
        {
            var requestSchema = type.Type.GetCustomAttributes(typeof(RequestSchemaAttribute), inherit: false).Cast<RequestSchemaAttribute>().FirstOrDefault();
            var request = requestSchema is not null;
            if (requestSchema?.Example is { } example)
            {
                schema.Examples = [JsonNode.Parse(example)!];
            }
            var required = type.Properties
                .Where(p => p.Get is not null || request)
                .Where(p => request ? p.IsRequired : !IsOmittable(p))
                .Select(p => p.Name)
                .ToHashSet(StringComparer.Ordinal);
            schema.Required = required.Count > 0 ? required : null;
            if (request)
            {
                // Every body reader refuses a field it does not know (400 unknown_parameter); chat completions, which
                // pass unknown fields upstream, are the exception and say so on their type.
                schema.AdditionalProperties ??= null;
                schema.AdditionalPropertiesAllowed = type.Type.IsDefined(typeof(OpenRequestSchemaAttribute), inherit: false);
            }
        }
        return Task.CompletedTask;
    }

    private static void ApplyProperty(OpenApiSchema schema, JsonPropertyInfo property)
    {
        var attributes = property.AttributeProvider;
        if (attributes is null)
        {
            return;
        }
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null) && type != JsonSchemaType.Null)
        {
            // A request field takes null only where its reader says so ([NullAllowed]: "none", "clear", "default");
            // an answer's field is null only where its type is annotated nullable.
            var nullable = property.DeclaringType.IsDefined(typeof(RequestSchemaAttribute), inherit: false)
                ? attributes.IsDefined(typeof(NullAllowedAttribute), inherit: false)
                : attributes is not PropertyInfo info || new NullabilityInfoContext().Create(info).ReadState != NullabilityState.NotNull;
            if (!nullable)
            {
                schema.Type = type & ~JsonSchemaType.Null;
            }
        }
        foreach (var allowed in attributes.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: false).Cast<AllowedValuesAttribute>())
        {
            schema.Enum = [.. allowed.Values.Select(v => v is null ? null! : JsonValue.Create(v.ToString())!)];
        }
        if (attributes.IsDefined(typeof(OpenAIMetadataAttribute), inherit: false))
        {
            schema.MaxProperties = ConversationRequestParser.MaxMetadataPairs;
            schema.PropertyNames = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = ConversationRequestParser.MaxMetadataKeyLength };
            schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = ConversationRequestParser.MaxMetadataValueLength };
        }
    }

    /// <summary>Left out of an answer when null (or default).</summary>
    private static bool IsOmittable(JsonPropertyInfo property)
        => property.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), inherit: false).Cast<JsonIgnoreAttribute>()
            .Any(a => a.Condition is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault) == true;
}

/// <summary>A request type whose body may carry fields the schema does not list (chat completions: they go upstream
/// untouched).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OpenRequestSchemaAttribute : Attribute;

/// <summary>A request field that takes an explicit null (meaning none, clear, or the default); every other optional
/// field is to be left out rather than sent as null.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class NullAllowedAttribute : Attribute;
