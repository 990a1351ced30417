using Microsoft.Extensions.Options;

namespace Parley.Silo.Conversations;

/// <summary>Parley:Conversations.</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Parley:Conversations";
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(1);

    /// <summary>How long an idle conversation stays activated (in memory) on a silo. Its state is in storage either
    /// way; this only trades memory for the cost of re-activating.</summary>
    public TimeSpan IdleTimeout { get; set; } = DefaultIdleTimeout;
}

internal sealed class ConversationOptionsValidator : IValidateOptions<ConversationOptions>
{
    public ValidateOptionsResult Validate(string? name, ConversationOptions options)
        => options.IdleTimeout > TimeSpan.Zero && options.IdleTimeout <= ConversationOptions.MaxIdleTimeout
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ConversationOptions.SectionName}:IdleTimeout must be above 0 and at most {ConversationOptions.MaxIdleTimeout}.");
}
