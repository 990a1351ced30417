using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>The refusals of a request that is valid for OpenAI but cannot be said to Anthropic, worded like OpenAI's
/// own refusals of unsupported parameters so SDK users recognise them.</summary>
internal static class RequestErrors
{
    public const string UnsupportedParameterCode = "unsupported_parameter";
    public const string UnsupportedValueCode = "unsupported_value";

    public static ApiError UnsupportedParameter(string param, string message)
        => InputErrors.BadRequest(message, param, UnsupportedParameterCode);

    public static ApiError UnsupportedValue(string param, string message)
        => InputErrors.BadRequest(message, param, UnsupportedValueCode);

    public static ApiError UnsupportedPart(string param, string partType)
        => UnsupportedValue(param, $"Content parts of type '{partType}' are not supported for Anthropic models (at '{param}').");
}

/// <summary>Names a message in an error the way the client sees it: the body sent upstream starts with the stored
/// conversation's messages, which the client never sent, so indexes are shifted back and stored messages named apart.
/// The name is built only when an error needs it.</summary>
internal readonly record struct MessagePath(int Index, int StoredMessageCount)
{
    public string Name => Index < StoredMessageCount ? $"conversation.messages[{Index}]" : $"messages[{Index - StoredMessageCount}]";

    public string Append(string suffix) => Name + suffix;

    public string Part(int part, string suffix = "") => $"{Name}.content[{part}]{suffix}";
}
