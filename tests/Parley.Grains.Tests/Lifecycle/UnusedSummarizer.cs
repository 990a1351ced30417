using Parley.Grains.Conversations.Summaries;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The grain requires a summariser (the silo's calls the upstream); these conversations are far too short to
/// reach the summary threshold, so any call is a test failure.</summary>
internal sealed class UnusedSummarizer : IConversationSummarizer
{
    public Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken)
        => throw new InvalidOperationException("The lifecycle tests never fill a context up to its summary threshold.");
}
