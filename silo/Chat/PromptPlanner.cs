using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;
using Parley.Silo.Cluster;
using Parley.Silo.Conversations;
using Parley.Tokenizer.Chat;

namespace Parley.Silo.Chat;

/// <summary>What the silo knows about the prompt it sends: its token count (exact, or an estimate for models counted
/// with a borrowed encoding) and, for a conversation, how its context was compressed.</summary>
internal readonly record struct PromptInfo(int PromptTokens, bool Estimated, int? DroppedMessages, bool SummaryUsed, bool CarriesRedactedData);

/// <summary>A planned prompt: what to send before the new messages (a conversation's context), or the error to answer,
/// or, for a turn already stored, its answer to replay.</summary>
internal readonly record struct PromptPlanResult(PromptInfo Info, IReadOnlyList<ChatMessageRecord>? Context, ApiError? Error, StoredTurn? Replay = null,
    IReadOnlyList<Pseudonym>? Pseudonyms = null);

/// <summary>Counts the prompt and, for a conversation, has its grain build the context that fits the budget: the
/// model's context window minus the reply reservation.</summary>
internal sealed class PromptPlanner(IGrainFactory grains, ClusterCalls clusterCalls, TimeProvider timeProvider)
{
    private static readonly TimeSpan TurnPollInterval = TimeSpan.FromMilliseconds(200);

    public async ValueTask<PromptPlanResult> PlanAsync(ChatRequest request, string userId, TurnIdentity? turn, ConversationOptions options,
        CancellationToken cancellationToken)
    {
        var model = request.Model;
        var tokens = model.Tokens;
        var newMessages = tokens.Counter.CountPrompt(request.Messages);
        if (request.ConversationId is not { } conversationId)
        {
            // A single request is refused here only when the count is exact and no deployment's window can hold it; else
            // routing picks a deployment that can, or the upstream judges.
            if (!tokens.IsEstimate && model.LargestContextWindow is { } window && (long)newMessages + (request.MaxReplyTokens ?? 0) > window)
            {
                return new(default, null, ContextLengthExceeded(window, newMessages, request.MaxReplyTokens));
            }
            return new(new PromptInfo(newMessages, tokens.IsEstimate, null, false, false), null, null);
        }

        var grain = grains.GetGrain<IConversationGrain>(conversationId);
        var prompt = new PromptRequest(model.Id, tokens.Encoding, Budget(request, options), newMessages - ChatTokenCounter.ReplyPrimingTokens, turn);
        var waitUntil = timeProvider.GetTimestamp() + (long)(options.TurnWaitTimeout.TotalSeconds * timeProvider.TimestampFrequency);
        while (true)
        {
            // Building a prompt is safe to repeat (a turn's claim is the same request's), so it rides out a silo death.
            var plan = await clusterCalls.RunAsync(() => grain.BuildPromptAsync(userId, prompt), cancellationToken)
                .ConfigureAwait(false);
            switch (plan.Status)
            {
                case PromptStatus.ConversationNotFound:
                    return new(default, null, ChatErrors.ConversationNotFound(conversationId));
                case PromptStatus.TooLong:
                    return new(default, null, ConversationTooLong(model.Id, plan.PromptTokens, plan.Budget));
                case PromptStatus.Replay:
                    return new(default, null, null, plan.Replay, plan.Pseudonyms);
                case PromptStatus.TurnKeyReused:
                    return new(default, null, TurnKeys.Reused());
                case PromptStatus.TurnInProgress when timeProvider.GetTimestamp() < waitUntil:
                    // The first attempt is still being answered: its answer will be this one's.
                    await Task.Delay(TurnPollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                case PromptStatus.TurnInProgress:
                    return new(default, null, TurnKeys.InUse());
                default:
                    return new(new PromptInfo(plan.PromptTokens, tokens.IsEstimate, plan.DroppedMessages, plan.SummaryUsed, plan.CarriesRedactedData),
                        plan.Messages, null, Pseudonyms: plan.Pseudonyms);
            }
        }
    }

    /// <summary>The prompt budget of a conversation turn: the window minus the reply reservation (the request's own
    /// limit, else the configured default, at most a quarter of the window), less the estimate margin.</summary>
    public static int Budget(ChatRequest request, ConversationOptions options)
    {
        var window = request.Model.ContextWindow ?? options.DefaultContextWindow;
        var reservation = request.MaxReplyTokens ?? Math.Min(options.DefaultReplyReservation, window / 4);
        // Never below zero: a reply limit at or above the window (the model's window unknown, the default assumed) leaves
        // no room for a prompt, which is answered as a turn too long for its budget, not as a negative count.
        var budget = Math.Max(0, window - reservation);
        return request.Model.Tokens.IsEstimate ? (int)(budget * (1 - options.EstimateMargin)) : budget;
    }

    // Worded as OpenAI words it, so clients that parse the message keep working.
    private static ApiError ContextLengthExceeded(int window, int promptTokens, int? maxReplyTokens)
        => maxReplyTokens is { } reply
            ? ContextError($"This model's maximum context length is {window} tokens. However, you requested {(long)promptTokens + reply} tokens ({promptTokens} in the messages, {reply} in the completion). Please reduce the length of the messages or completion.")
            : ContextError($"This model's maximum context length is {window} tokens. However, your messages resulted in {promptTokens} tokens. Please reduce the length of the messages.");

    private static ApiError ConversationTooLong(string model, int neededTokens, int budget)
        => ContextError($"The newest messages of this conversation need {neededTokens} tokens with its pinned system prompt, more than the {budget} tokens " +
            $"a prompt for '{model}' may use (its context window minus the reply reservation). Send shorter messages or a lower max_completion_tokens.");

    private static ApiError ContextError(string message)
        => new(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, "messages", ChatErrors.ContextLengthExceededCode);
}
