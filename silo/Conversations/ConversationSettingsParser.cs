using System.Text.Json;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;
using Parley.Silo.Providers;

namespace Parley.Silo.Conversations;

/// <summary>Parley's own conversation fields, accepted beside OpenAI's <c>metadata</c> and <c>items</c>:
/// <c>model</c>, <c>system_prompt</c> (pinned at the head of every prompt) and <c>max_context_tokens</c>.</summary>
internal static class ConversationSettingsParser
{
    public const int MinContextTokens = 16;
    public const int MaxContextTokens = 10_000_000;
    public const int MaxSystemPromptLength = 256 * 1024;

    /// <summary>Reads <paramref name="property"/> into <paramref name="settings"/> if it is one of the settings;
    /// false if it is not (the caller handles it).</summary>
    public static bool TryRead(JsonProperty property, ModelCatalog catalog, ref ConversationSettings settings, out ApiError? error)
    {
        error = null;
        var value = property.Value;
        switch (property.Name)
        {
            case "model":
                if (value.ValueKind != JsonValueKind.String)
                {
                    error = InputErrors.WrongType("model", "a string", value.ValueKind);
                }
                else if (!catalog.TryGetModel(value.GetString()!, out _))
                {
                    error = InputErrors.InvalidValue("model", $"The model `{value.GetString()}` does not exist or you do not have access to it.");
                }
                else
                {
                    settings = settings with { Model = value.GetString() };
                }
                return true;
            case "system_prompt":
                if (value.ValueKind != JsonValueKind.String)
                {
                    error = InputErrors.WrongType("system_prompt", "a string", value.ValueKind);
                }
                else if (value.GetString() is not { Length: > 0 and <= MaxSystemPromptLength } text)
                {
                    error = InputErrors.InvalidValue("system_prompt", $"Invalid 'system_prompt': expected a non-empty string of at most {MaxSystemPromptLength} characters.");
                }
                else
                {
                    settings = settings with { SystemPrompt = text };
                }
                return true;
            case "max_context_tokens":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var tokens))
                {
                    error = InputErrors.WrongType("max_context_tokens", "an integer", value.ValueKind);
                }
                else if (tokens is < MinContextTokens or > MaxContextTokens)
                {
                    error = InputErrors.InvalidValue("max_context_tokens",
                        $"Invalid 'max_context_tokens': expected a value between {MinContextTokens} and {MaxContextTokens}, but got {tokens} instead.");
                }
                else
                {
                    settings = settings with { MaxContextTokens = tokens };
                }
                return true;
            default:
                return false;
        }
    }
}
