using Microsoft.Extensions.Options;

namespace Parley.Silo.Conversations;

/// <summary>Parley:Conversations.</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Parley:Conversations";
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(1);
    public const int DefaultDefaultContextWindow = 128_000;
    public const int DefaultDefaultReplyReservation = 4_096;
    public const double DefaultEstimateMargin = 0.1;

    /// <summary>How long an idle conversation stays activated (in memory) on a silo. Its state is in storage either
    /// way; this only trades memory for the cost of re-activating.</summary>
    public TimeSpan IdleTimeout { get; set; } = DefaultIdleTimeout;

    /// <summary>The context window assumed for a conversation's model when Parley:Models does not give one.</summary>
    public int DefaultContextWindow { get; set; } = DefaultDefaultContextWindow;

    /// <summary>Tokens kept free for the reply when a request sets neither <c>max_completion_tokens</c> nor
    /// <c>max_tokens</c> (at most a quarter of the window).</summary>
    public int DefaultReplyReservation { get; set; } = DefaultDefaultReplyReservation;

    /// <summary>Share of the budget held back when a model's token counts are estimates.</summary>
    public double EstimateMargin { get; set; } = DefaultEstimateMargin;

    /// <summary>The public model that writes rolling summaries; empty: each conversation's own model.</summary>
    public string? SummarizerModel { get; set; }

    /// <summary>How long a retried turn (same <c>Idempotency-Key</c>) waits for its first attempt, still being answered,
    /// before it is refused with 409; a first attempt whose silo died is given up as soon as membership says so.</summary>
    public TimeSpan TurnWaitTimeout { get; set; } = DefaultTurnWaitTimeout;

    public static readonly TimeSpan DefaultTurnWaitTimeout = TimeSpan.FromSeconds(10);
}

internal sealed class ConversationOptionsValidator : IValidateOptions<ConversationOptions>
{
    public ValidateOptionsResult Validate(string? name, ConversationOptions options)
    {
        const string Section = ConversationOptions.SectionName;
        var failures = new List<string>();
        if (options.IdleTimeout <= TimeSpan.Zero || options.IdleTimeout > ConversationOptions.MaxIdleTimeout)
        {
            failures.Add($"{Section}:IdleTimeout must be above 0 and at most {ConversationOptions.MaxIdleTimeout}.");
        }
        if (options.DefaultContextWindow < 16)
        {
            failures.Add($"{Section}:DefaultContextWindow must be at least 16 tokens.");
        }
        if (options.DefaultReplyReservation < 1)
        {
            failures.Add($"{Section}:DefaultReplyReservation must be positive.");
        }
        if (options.TurnWaitTimeout < TimeSpan.Zero || options.TurnWaitTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{Section}:TurnWaitTimeout must be between 0 and 10 minutes.");
        }
        if (options.EstimateMargin is < 0 or >= 1)
        {
            failures.Add($"{Section}:EstimateMargin must be in [0, 1).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
