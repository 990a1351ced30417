using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;
using Parley.Silo.Auth;

namespace Parley.Silo.Policy;

/// <summary>The policy as the chat path uses it: which one applies to a caller and model, the input step, the reply's
/// filter, and what the reply matched reported as metrics and logs.</summary>
internal sealed class ChatPolicy(PolicyCatalog catalog, PolicyAssignmentCache assignments, InputPolicy input, IOptions<PolicyOptions> options,
    PolicyMetrics metrics, ILogger<ChatPolicy> logger)
{
    /// <summary>No policy is configured (or policies are off): nothing to do, at no cost.</summary>
    public bool IsEmpty => catalog.IsEmpty;

    public int MaxHoldBack => options.Value.MaxHoldBackChars;

    /// <summary>The effective policy of a caller on a model (null: none).</summary>
    public async ValueTask<CompiledPolicy?> ResolveAsync(Caller caller, string model)
    {
        if (catalog.IsEmpty)
        {
            return null;
        }
        var assigned = (await assignments.GetAsync(caller.UserId).ConfigureAwait(false)).For(caller.KeyId);
        return catalog.Resolve(catalog.IdentityPolicy(assigned), catalog.ModelPolicy(model));
    }

    public ValueTask<InputPolicyResult> ApplyInputAsync(CompiledPolicy policy, JsonElement messages, string? conversationId, string userId, string requestId,
        CancellationToken cancellationToken)
        => input.ApplyAsync(policy, messages, conversationId, userId, requestId, cancellationToken);

    /// <summary>The conversation's pseudonyms as a vault (null when it has none).</summary>
    public static PseudonymVault? Vault(IReadOnlyList<Pseudonym>? pseudonyms)
    {
        if (pseudonyms is not { Count: > 0 })
        {
            return null;
        }
        var vault = new PseudonymVault();
        foreach (var pseudonym in pseudonyms)
        {
            vault.Add(pseudonym.Placeholder, pseudonym.Value);
        }
        return vault;
    }

    /// <summary>The reply's filter, or null when the reply passes untouched.</summary>
    public ReplyPolicy? CreateReply(CompiledPolicy? policy, PseudonymVault? vault)
    {
        var reply = new ReplyPolicy(policy, vault, options.Value.MaxHoldBackChars);
        return reply.IsActive ? reply : null;
    }

    public void ReportOutput(string requestId, ReplyPolicy reply)
    {
        var name = reply.Policy?.Name ?? "";
        foreach (var (rule, count) in reply.Hits)
        {
            metrics.Matched(name, rule, rule.OutputAction, PolicyDirection.Output, count);
            PolicyLog.Matched(logger, requestId, name, rule.Id, PolicyNames.Of(rule.OutputAction), count, "reply");
        }
        reply.Hits.Clear();
        if (reply.BlockedBy is { } blocked)
        {
            metrics.Matched(name, blocked, PolicyAction.Block, PolicyDirection.Output, 1);
            PolicyLog.Blocked(logger, requestId, name, blocked.Id, "reply");
        }
    }

    /// <summary>The policy headers of an answer.</summary>
    public static void SetHeaders(IHeaderDictionary headers, string? policy, int redacted, IReadOnlyList<string>? flagged)
    {
        if (policy is null)
        {
            return;
        }
        headers[PolicyHeaders.Policy] = policy;
        headers[PolicyHeaders.Redacted] = redacted.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (flagged is { Count: > 0 })
        {
            headers[PolicyHeaders.Flagged] = string.Join(',', flagged);
        }
    }
}
