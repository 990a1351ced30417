using Microsoft.Extensions.Options;

namespace Parley.Grains.Conversations.Context;

/// <summary>How a conversation's context is compressed; bound from <c>Parley:Conversations:Context</c>.</summary>
public sealed class ConversationContextOptions
{
    public const string SectionName = "Parley:Conversations:Context";
    public const double DefaultHighWaterRatio = 0.8;
    public const double DefaultLowWaterRatio = 0.5;
    public const int DefaultSummaryMaxTokens = 1024;
    public const int DefaultSummaryMaxInputTokens = 16_000;
    public static readonly TimeSpan DefaultSummaryRetryDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultWorkingSetIdleTimeout = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan DefaultTurnClaimTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Share of the budget the context may fill before older turns are summarised in the background.</summary>
    public double HighWaterRatio { get; set; } = DefaultHighWaterRatio;

    /// <summary>Share of the budget the recent turns may keep once summarised: the summary takes the rest.</summary>
    public double LowWaterRatio { get; set; } = DefaultLowWaterRatio;

    /// <summary>Longest summary asked of the summariser model (its <c>max_tokens</c>).</summary>
    public int SummaryMaxTokens { get; set; } = DefaultSummaryMaxTokens;

    /// <summary>Most tokens of turns folded in one summariser call; longer backlogs take several rounds.</summary>
    public int SummaryMaxInputTokens { get; set; } = DefaultSummaryMaxInputTokens;

    /// <summary>Wait after a failed summariser call before the next attempt (turns keep dropping the oldest meanwhile).</summary>
    public TimeSpan SummaryRetryDelay { get; set; } = DefaultSummaryRetryDelay;

    /// <summary>An activation left without a call this long lets go of its working context (keeping only its small
    /// state) and reads it back in one round trip on its next turn.</summary>
    public TimeSpan WorkingSetIdleTimeout { get; set; } = DefaultWorkingSetIdleTimeout;

    /// <summary>Longest a turn being answered holds its key against a retry on a silo that still lives: the bound of a
    /// whole upstream call (the providers' total timeout).</summary>
    public TimeSpan TurnClaimTimeout { get; set; } = DefaultTurnClaimTimeout;

    /// <summary>A conversation activated on one silo whose turns are served by another moves there (once idle), so its
    /// calls stay local. Off: it stays where it was first activated until it is deactivated.</summary>
    public bool MoveToServingSilo { get; set; } = true;
}

internal sealed class ConversationContextOptionsValidator : IValidateOptions<ConversationContextOptions>
{
    public ValidateOptionsResult Validate(string? name, ConversationContextOptions options)
    {
        var failures = new List<string>();
        const string Section = ConversationContextOptions.SectionName;
        if (!(options.LowWaterRatio > 0 && options.LowWaterRatio < options.HighWaterRatio && options.HighWaterRatio <= 1))
        {
            failures.Add($"{Section}: need 0 < LowWaterRatio < HighWaterRatio <= 1 (got {options.LowWaterRatio} and {options.HighWaterRatio}).");
        }
        if (options.SummaryMaxTokens < 16)
        {
            failures.Add($"{Section}:SummaryMaxTokens must be at least 16.");
        }
        if (options.SummaryMaxInputTokens < options.SummaryMaxTokens)
        {
            failures.Add($"{Section}:SummaryMaxInputTokens must be at least SummaryMaxTokens.");
        }
        if (options.SummaryRetryDelay < TimeSpan.Zero)
        {
            failures.Add($"{Section}:SummaryRetryDelay must not be negative.");
        }
        if (options.WorkingSetIdleTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{Section}:WorkingSetIdleTimeout must be at least 1 second.");
        }
        if (options.TurnClaimTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:TurnClaimTimeout must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
