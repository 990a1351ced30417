using System.Text;
using Microsoft.AspNetCore.Http;
using Parley.Policy.Rules;

namespace Parley.Silo.Audit;

/// <summary>What the handlers know of a request that the audit record needs and the middleware cannot see: set as a
/// request feature by <see cref="AuditMiddleware"/> for every audited request, filled in as the request goes, read
/// once when it ends. Handlers reach it with <see cref="Of"/> (null when the request is not audited).</summary>
public sealed class AuditFeature
{
    private StringBuilder? _policy;

    public static AuditFeature? Of(HttpContext context) => context.Features.Get<AuditFeature>();

    /// <summary>The authenticated caller, also when it was refused for lacking a role (the endpoint's feature is not set then).</summary>
    public Auth.Caller? Caller { get; set; }

    public string? Model { get; set; }
    public string? Deployment { get; set; }
    public int? PromptTokens { get; set; }
    public int? CompletionTokens { get; set; }
    public long? CostMicros { get; set; }
    public string? ErrorCode { get; set; }
    public string? ConversationId { get; set; }
    public bool Replay { get; set; }

    /// <summary>A handler found the client gone before the request's abort was signalled (a write to a closed output):
    /// recorded as 499 like an abort.</summary>
    public bool ClientLeft { get; set; }

    /// <summary>The masked excerpt of the prompt (see <see cref="AuditExcerpt"/>).</summary>
    public string? Excerpt { get; set; }

    public string? Policy => _policy?.ToString();

    /// <summary>Notes that a policy rule acted on the request (<c>in</c>) or its reply (<c>out</c>).</summary>
    public void PolicyAction(PolicyDirection direction, string rule, PolicyAction action)
    {
        var text = (_policy ??= new StringBuilder());
        if (text.Length > 0)
        {
            text.Append(',');
        }
        text.Append(direction == PolicyDirection.Input ? "in:" : "out:").Append(rule).Append(':').Append(action switch
        {
            Parley.Policy.Rules.PolicyAction.Flag => "flag",
            Parley.Policy.Rules.PolicyAction.Mask => "mask",
            Parley.Policy.Rules.PolicyAction.Pseudonymize => "pseudonymize",
            Parley.Policy.Rules.PolicyAction.Block => "block",
            _ => "none",
        });
    }

    /// <summary>Records an error answer's code (the first one written wins).</summary>
    public static void NoteError(HttpContext context, string? code)
    {
        if (Of(context) is { ErrorCode: null } feature)
        {
            feature.ErrorCode = code;
        }
    }
}
