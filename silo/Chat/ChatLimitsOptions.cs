using Microsoft.Extensions.Options;

namespace Parley.Silo.Chat;

/// <summary>Request limits, bound from <c>Parley:Limits</c>.</summary>
public sealed class ChatLimitsOptions
{
    public const string SectionName = "Parley:Limits";
    public const long DefaultMaxRequestBodyBytes = 4 * 1024 * 1024;

    /// <summary>Largest accepted chat completions body; larger ones get 413 <c>request_too_large</c>.</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;
}

internal sealed class ChatLimitsOptionsValidator : IValidateOptions<ChatLimitsOptions>
{
    // The body is held in one pooled array, so it must fit an array.
    private static readonly long MaxSupportedBodyBytes = Array.MaxLength / 2;

    public ValidateOptionsResult Validate(string? name, ChatLimitsOptions options)
        => options.MaxRequestBodyBytes > 0 && options.MaxRequestBodyBytes <= MaxSupportedBodyBytes
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ChatLimitsOptions.SectionName}:MaxRequestBodyBytes must be between 1 and {MaxSupportedBodyBytes}.");
}
