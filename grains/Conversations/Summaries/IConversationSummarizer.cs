using Parley.GrainInterfaces.Conversations;

namespace Parley.Grains.Conversations.Summaries;

/// <summary>Folds older turns into a conversation's rolling summary. The silo implements it with the upstream model
/// itself (a configured summariser model, else the conversation's), so the grain never knows about providers.</summary>
public interface IConversationSummarizer
{
    /// <summary>The new summary text: <see cref="ConversationSummaryRequest.PreviousSummary"/> extended with
    /// <see cref="ConversationSummaryRequest.Messages"/>. Throws when the upstream fails; the grain retries later.</summary>
    Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken);
}

/// <param name="Model">The conversation's public model (the summariser uses it unless one is configured).</param>
/// <param name="Messages">The turns to fold in, oldest first, verbatim.</param>
/// <param name="MaxSummaryTokens">The summary's length bound (the upstream call's <c>max_tokens</c>).</param>
public sealed record ConversationSummaryRequest(
    string ConversationId,
    string? Model,
    string? PreviousSummary,
    IReadOnlyList<ChatMessageRecord> Messages,
    int MaxSummaryTokens);
