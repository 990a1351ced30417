using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Transcript;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Conversations.Summaries;

/// <summary>One round of background summarising, outside the grain: reads the unsummarised entries from the transcript,
/// chooses what to fold, asks the summariser, and hands the result to the grain (which applies it only on top of the
/// summary it extends).</summary>
public sealed partial class ConversationSummaryRunner(
    ITranscriptStore transcript,
    IConversationSummarizer summarizer,
    IGrainFactory grainFactory,
    IOptions<ConversationContextOptions> options,
    ConversationMetrics metrics,
    ILogger<ConversationSummaryRunner> logger)
{
    /// <param name="snapshot">The system prompt, summary, model, encoding and budget as the grain had them.</param>
    /// <param name="lastSeq">The last entry to consider.</param>
    /// <returns>False when the round failed (the grain waits before the next).</returns>
    public async Task<bool> RunAsync(string conversationId, ConversationState snapshot, long lastSeq)
    {
        var context = options.Value;
        try
        {
            var entries = await transcript.ReadRangeAsync(conversationId, snapshot.FirstUnsummarizedSeq, lastSeq).ConfigureAwait(false);
            if (ContextPlanner.SelectForSummary(snapshot, entries, snapshot.LastEncoding!, snapshot.LastBudget, context) is not var (from, to))
            {
                return true;
            }
            var messages = new ChatMessageRecord[to - from];
            for (var i = from; i < to; i++)
            {
                messages[i - from] = entries[i].ToChatMessage();
            }
            LogSummaryStarted(logger, conversationId, messages.Length);
            var request = new ConversationSummaryRequest(conversationId, snapshot.Model, snapshot.Summary?.Text, messages, context.SummaryMaxTokens);
            var text = await summarizer.SummarizeAsync(request, CancellationToken.None).ConfigureAwait(false);
            var update = new ConversationSummaryUpdate(text, snapshot.Summary?.CoversThroughSeq ?? 0, entries[to - 1].Seq,
                (snapshot.Summary?.SummarizedMessages ?? 0) + messages.Length);
            var applied = await grainFactory.GetGrain<IConversationGrain>(conversationId).ApplySummaryAsync(update).ConfigureAwait(false);
            metrics.Summary(applied ? ConversationMetrics.Applied : ConversationMetrics.Stale);
            return true;
        }
        catch (Exception e)
        {
            metrics.Summary(ConversationMetrics.Failed);
            LogSummaryFailed(logger, conversationId, RedactedException.Of(e));
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: summarising {Messages} message(s) in the background")]
    private static partial void LogSummaryStarted(ILogger logger, string conversationId, int messages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {ConversationId}: summarising failed; the oldest turns are dropped until a later attempt succeeds")]
    private static partial void LogSummaryFailed(ILogger logger, string conversationId, Exception exception);
}
