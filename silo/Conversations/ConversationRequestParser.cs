using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;

namespace Parley.Silo.Conversations;

/// <summary>Validates Conversations API bodies into grain inputs. Each refusal names the exact parameter
/// (<c>items[2].content[0].text</c>), as OpenAI does.</summary>
internal static class ConversationRequestParser
{
    public const int MaxItemsPerRequest = 20;
    public const int MaxMetadataPairs = 16;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 512;

    private static readonly string[] Roles = ["user", "assistant", "system", "developer"];

    public static (IReadOnlyList<NewConversationItem> Items, ApiError? Error) ParseItems(JsonElement items, string param, bool required)
    {
        if (items.ValueKind != JsonValueKind.Array)
        {
            return ([], InputErrors.WrongType(param, "an array", items.ValueKind));
        }
        var count = items.GetArrayLength();
        if (count == 0 && required)
        {
            return ([], InputErrors.EmptyArray(param, InputErrors.InvalidValueCode));
        }
        if (count > MaxItemsPerRequest)
        {
            return ([], InputErrors.InvalidValue(param,
                $"Invalid '{param}': array too long. Expected an array with maximum length {MaxItemsPerRequest}, but got an array with length {count} instead."));
        }
        var parsed = new List<NewConversationItem>(count);
        var index = 0;
        foreach (var element in items.EnumerateArray())
        {
            var (item, error) = ParseItem(element, $"{param}[{index}]");
            if (error is not null)
            {
                return ([], error);
            }
            parsed.Add(item!);
            index++;
        }
        return (parsed, null);
    }

    /// <summary>A message item, or an "easy input message" (<c>{role, content}</c> without <c>type</c>); content is a
    /// string or an array of text parts.</summary>
    private static (NewConversationItem? Item, ApiError? Error) ParseItem(JsonElement element, string param)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, InputErrors.WrongType(param, "an object", element.ValueKind));
        }
        string? role = null;
        JsonElement? content = null;
        foreach (var property in element.EnumerateObject())
        {
            var name = $"{param}.{property.Name}";
            switch (property.Name)
            {
                case "type":
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        return (null, InputErrors.WrongType(name, "a string", property.Value.ValueKind));
                    }
                    if (property.Value.GetString() != ConversationItem.MessageType)
                    {
                        return (null, InputErrors.InvalidValue(name, $"Invalid value for '{name}': Parley conversations store items of type 'message' only."));
                    }
                    break;
                case "role":
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        return (null, InputErrors.WrongType(name, "a string", property.Value.ValueKind));
                    }
                    role = property.Value.GetString();
                    if (!Roles.Contains(role))
                    {
                        return (null, InputErrors.InvalidValue(name,
                            $"Invalid value: '{role}'. Supported values are: {string.Join(", ", Roles.Select(r => $"'{r}'"))}."));
                    }
                    break;
                case "content":
                    content = property.Value;
                    break;
                case "id" or "status":
                    // Assigned by Parley; a client echoing an item back is not an error.
                    break;
                default:
                    return (null, InputErrors.Unknown(name));
            }
        }
        if (role is null)
        {
            return (null, InputErrors.Missing($"{param}.role"));
        }
        if (content is not { } value)
        {
            return (null, InputErrors.Missing($"{param}.content"));
        }
        var (parts, contentError) = ParseContent(value, role, $"{param}.content");
        return contentError is not null ? (null, contentError) : (new NewConversationItem(role, parts), null);
    }

    private static (IReadOnlyList<ConversationContentPart> Parts, ApiError? Error) ParseContent(JsonElement content, string role, string param)
    {
        var defaultType = role == "assistant" ? ConversationContentPart.OutputText : ConversationContentPart.InputText;
        if (content.ValueKind == JsonValueKind.String)
        {
            return ([new ConversationContentPart(defaultType, content.GetString()!)], null);
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return ([], InputErrors.WrongType(param, "a string or an array of content parts", content.ValueKind));
        }
        if (content.GetArrayLength() == 0)
        {
            return ([], InputErrors.EmptyArray(param, InputErrors.InvalidValueCode));
        }
        var parts = new List<ConversationContentPart>(content.GetArrayLength());
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var name = $"{param}[{index++}]";
            if (part.ValueKind != JsonValueKind.Object)
            {
                return ([], InputErrors.WrongType(name, "an object", part.ValueKind));
            }
            if (!part.TryGetProperty("type", out var type))
            {
                return ([], InputErrors.Missing($"{name}.type"));
            }
            if (type.ValueKind != JsonValueKind.String)
            {
                return ([], InputErrors.WrongType($"{name}.type", "a string", type.ValueKind));
            }
            var partType = type.GetString() switch
            {
                ConversationContentPart.InputText => ConversationContentPart.InputText,
                ConversationContentPart.OutputText => ConversationContentPart.OutputText,
                "text" => defaultType,
                _ => null,
            };
            if (partType is null)
            {
                return ([], InputErrors.InvalidValue($"{name}.type",
                    $"Invalid value: '{type.GetString()}'. Parley conversations support the content types 'input_text' and 'output_text'."));
            }
            if (!part.TryGetProperty("text", out var text))
            {
                return ([], InputErrors.Missing($"{name}.text"));
            }
            if (text.ValueKind != JsonValueKind.String)
            {
                return ([], InputErrors.WrongType($"{name}.text", "a string", text.ValueKind));
            }
            parts.Add(new ConversationContentPart(partType, text.GetString()!));
        }
        return (parts, null);
    }

    /// <summary>At most 16 string pairs, keys up to 64 characters, values up to 512 (OpenAI's metadata rules);
    /// <c>null</c> means none.</summary>
    public static (IReadOnlyDictionary<string, string> Metadata, ApiError? Error) ParseMetadata(JsonElement metadata)
    {
        const string Param = "metadata";
        if (metadata.ValueKind == JsonValueKind.Null)
        {
            return (new Dictionary<string, string>(), null);
        }
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            return (Empty, InputErrors.WrongType(Param, "an object", metadata.ValueKind));
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in metadata.EnumerateObject())
        {
            var name = $"{Param}.{property.Name}";
            if (property.Name.Length > MaxMetadataKeyLength)
            {
                return (Empty, InputErrors.InvalidValue(Param,
                    $"Invalid '{Param}': key '{property.Name}' is too long. Keys have at most {MaxMetadataKeyLength} characters."));
            }
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                return (Empty, InputErrors.WrongType(name, "a string", property.Value.ValueKind));
            }
            var value = property.Value.GetString()!;
            if (value.Length > MaxMetadataValueLength)
            {
                return (Empty, InputErrors.InvalidValue(name,
                    $"Invalid '{name}': string too long. Expected a string with maximum length {MaxMetadataValueLength}, but got a string with length {value.Length} instead."));
            }
            result[property.Name] = value;
            if (result.Count > MaxMetadataPairs)
            {
                return (Empty, InputErrors.InvalidValue(Param,
                    $"Invalid '{Param}': too many properties. Expected an object with at most {MaxMetadataPairs} properties."));
            }
        }
        return (result, null);
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
