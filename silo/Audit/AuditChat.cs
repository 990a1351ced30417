using Parley.Policy.Rules;
using Parley.Silo.Chat;
using Parley.Silo.Policy;
using Parley.Silo.Quotas;

namespace Parley.Silo.Audit;

/// <summary>What a chat completion tells its audit record: the policy's actions both ways, and the model, deployment,
/// tokens and cost of the answer.</summary>
internal static class AuditChat
{
    public static void Input(AuditFeature? audit, InputPolicyResult input)
    {
        if (audit is null)
        {
            return;
        }
        foreach (var rule in input.Matched)
        {
            audit.PolicyAction(PolicyDirection.Input, rule.Id, rule.Action);
        }
    }

    /// <summary>The reply's matches; call before <see cref="ChatPolicy.ReportOutput"/> (which clears them).</summary>
    public static void Output(AuditFeature? audit, ReplyPolicy reply)
    {
        if (audit is null)
        {
            return;
        }
        foreach (var rule in reply.Hits.Keys)
        {
            audit.PolicyAction(PolicyDirection.Output, rule.Id, rule.OutputAction);
        }
        if (reply.BlockedBy is { } blocked)
        {
            audit.PolicyAction(PolicyDirection.Output, blocked.Id, PolicyAction.Block);
        }
    }

    /// <param name="inputTokens">The tokens the call is settled with (what the upstream reported, else the estimate).</param>
    public static void Completed(AuditFeature? audit, ChatExchange exchange, in ChatCompletionResult result, long inputTokens, long outputTokens,
        ModelPrice? price)
    {
        if (audit is null)
        {
            return;
        }
        audit.Model = exchange.Model.Id;
        var answered = !exchange.CacheHit && exchange.Attempts > 0;
        audit.Deployment = answered ? exchange.Deployment?.Name : null;
        if (result.Usage is { } usage)
        {
            (audit.PromptTokens, audit.CompletionTokens) = (usage.PromptTokens, usage.CompletionTokens);
        }
        else if (inputTokens + outputTokens > 0)
        {
            (audit.PromptTokens, audit.CompletionTokens) = ((int)Math.Min(inputTokens, int.MaxValue), (int)Math.Min(outputTokens, int.MaxValue));
        }
        audit.CostMicros = exchange.CacheHit ? 0 : price is null ? null : QuotaMoney.Cost(price, inputTokens, outputTokens);
    }
}
