namespace Parley.Silo.Audit;

/// <summary>One request as the audit trail keeps it. Filled by <see cref="AuditMiddleware"/> from the request and the
/// <see cref="AuditFeature"/> the handlers filled in; sealed into its silo's hash chain (<see cref="Seq"/>,
/// <see cref="Hash"/>) by <see cref="AuditSink"/>. Never holds a secret or raw message content: the key is named by its
/// id, the prompt only by a masked <see cref="Excerpt"/>.</summary>
public sealed class AuditRecord
{
    /// <summary>The chain: the silo that served the request (its Orleans address, generation included, so a restarted
    /// silo starts a chain of its own).</summary>
    public string Silo { get; set; } = "";

    /// <summary>Position in the silo's chain, from 1, without gaps.</summary>
    public long Seq { get; set; }

    /// <summary>When the request arrived: Unix time in microseconds, UTC.</summary>
    public long TimeUs { get; set; }

    public string RequestId { get; set; } = "";

    /// <summary>The user (empty for admin keys and unauthenticated requests).</summary>
    public string UserId { get; set; } = "";

    /// <summary>The virtual key's id, or <c>jwt:</c> and the user for an OIDC token; never the key itself.</summary>
    public string KeyId { get; set; } = "";

    public string Method { get; set; } = "";

    /// <summary>The route template (<c>/v1/conversations/{conversationId}</c>), never the raw path.</summary>
    public string Route { get; set; } = "";

    public string? Model { get; set; }
    public string? Deployment { get; set; }
    public int? PromptTokens { get; set; }
    public int? CompletionTokens { get; set; }

    /// <summary>What the call cost in micro-USD (the configured prices), null when no upstream was priced.</summary>
    public long? CostMicros { get; set; }

    /// <summary>The HTTP status the client got; 499 when it went away first.</summary>
    public int Status { get; set; }

    /// <summary>The OpenAI error code (or type) of an error answer.</summary>
    public string? ErrorCode { get; set; }

    public long LatencyUs { get; set; }
    public string? ConversationId { get; set; }

    /// <summary>The answer was a stored turn replayed for an idempotent retry.</summary>
    public bool Replay { get; set; }

    /// <summary>Policy actions, <c>direction:rule:action</c> joined by commas (<c>in:email:pseudonymize,out:card:mask</c>).</summary>
    public string? Policy { get; set; }

    /// <summary>The start of the prompt's last user message after the policy, every detected PII value and secret masked.</summary>
    public string? Excerpt { get; set; }

    /// <summary>SHA-256 over the previous record's hash and this record's canonical encoding.</summary>
    public byte[] Hash { get; set; } = [];
}
