using Parley.Grains.Conversations.Summaries;

namespace Parley.Bench.Conversations;

/// <summary>The summariser the benchmark's silo is given: no upstream model, an instant fixed summary, and a count of the
/// calls. Conversations grown at the 1,000,000-token budget never reach the high-water mark, so their phases must see
/// no call; the conversation grown at the 128k window is summarised in the background as a silo would summarise it
/// (the only way such a conversation reaches a steady state), and the count says when. For a conversation whose id
/// carries <see cref="DownMarker"/> it fails, as a summariser whose upstream is down does: that conversation lives on
/// the drop-only fallback.</summary>
internal sealed class StandInSummarizer : IConversationSummarizer
{
    private const string Summary = """
        The user and the assistant discussed running a conversation cluster: how the context budget is split between the pinned
        system prompt, a rolling summary and the most recent turns; why older turns are folded into the summary instead of being
        dropped; how quotas and upstream pacing are enforced in Redis; how a silo's failure is retried; and several worked examples
        with code in C#, Python and shell. Open questions: the right summary length, and when to restart a long conversation.
        """;

    public const string DownMarker = "down";

    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return request.ConversationId.Contains(DownMarker, StringComparison.Ordinal)
            ? Task.FromException<string>(new InvalidOperationException("The stand-in summariser is down for this conversation."))
            : Task.FromResult(Summary);
    }
}
