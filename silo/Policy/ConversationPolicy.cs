using System.Globalization;
using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Conversations;
using Parley.Policy.Rules;
using Parley.Silo.Api;
using Parley.Silo.Auth;

namespace Parley.Silo.Policy;

/// <summary>What the policy made of a Conversations API request: an answer to give instead (a block, or a conversation
/// gone), else the system prompt and items to store.</summary>
internal sealed record ConversationTexts(IResult? Refusal, string? SystemPrompt, IReadOnlyList<NewConversationItem> Items);

/// <summary>The input policy on the Conversations API. A conversation's pinned system prompt and the items a client
/// adds go upstream on every later turn, so they pass the same rules as a chat request's messages: the caller's policy
/// joined with the conversation's model's (when it names one). A block is a 400 before anything is stored; masked and
/// pseudonymised values are stored as their masks and placeholders (numbered by the conversation, restored in its
/// replies), and the conversation is marked as carrying redacted data (never cached).</summary>
internal sealed class ConversationPolicy(ChatPolicy chat, InputPolicy input)
{
    public bool IsEmpty => chat.IsEmpty;

    /// <summary>The scan of a system prompt and items under the caller's policy, or null when no rule applies; a
    /// refusal is already written into the response headers' policy fields.</summary>
    public async ValueTask<(CompiledPolicy Policy, TextScan Scan)?> ScanAsync(HttpContext context, Caller caller, string? model, string? systemPrompt,
        IReadOnlyList<NewConversationItem> items, string itemsParam)
    {
        if (chat.IsEmpty || (systemPrompt is null && items.Count == 0))
        {
            return null;
        }
        var policy = await chat.ResolveAsync(caller, model ?? "").ConfigureAwait(false);
        if (policy is not { HasInput: true })
        {
            return null;
        }
        var texts = new List<PolicyText>();
        if (systemPrompt is not null)
        {
            texts.Add(new PolicyText("system_prompt", systemPrompt));
        }
        for (var i = 0; i < items.Count; i++)
        {
            for (var j = 0; j < items[i].Content.Count; j++)
            {
                texts.Add(new PolicyText(string.Create(CultureInfo.InvariantCulture, $"{itemsParam}[{i}].content[{j}]"), items[i].Content[j].Text));
            }
        }
        var scan = input.Scan(policy, texts, RequestIds.Resolve(context));
        ChatPolicy.SetHeaders(context.Response.Headers, policy.Name, 0, scan.Flagged);
        if (scan.BlockedRule is { } rule)
        {
            context.Response.Headers[PolicyHeaders.Rule] = rule;
        }
        return (policy, scan);
    }

    /// <summary>The system prompt and items to store, rewritten where the scan said so (pseudonyms recorded by the
    /// conversation <paramref name="conversationId"/>, which must exist).</summary>
    public async ValueTask<ConversationTexts> RedactAsync(HttpContext context, TextScan scan, string conversationId, string userId, string? systemPrompt,
        IReadOnlyList<NewConversationItem> items)
    {
        var redaction = await input.RedactAsync(scan, conversationId, userId, context.RequestAborted).ConfigureAwait(false);
        if (redaction.Error is { } error)
        {
            return new ConversationTexts(error.ToResult(), null, []);
        }
        context.Response.Headers[PolicyHeaders.Redacted] = redaction.Redacted.ToString(CultureInfo.InvariantCulture);
        var next = 0;
        var prompt = systemPrompt is null ? null : redaction.Texts[next++];
        var rewritten = new List<NewConversationItem>(items.Count);
        foreach (var item in items)
        {
            var parts = new List<ConversationContentPart>(item.Content.Count);
            foreach (var part in item.Content)
            {
                parts.Add(part with { Text = redaction.Texts[next++] });
            }
            rewritten.Add(item with { Content = parts });
        }
        return new ConversationTexts(null, prompt, rewritten);
    }
}
