using System.ComponentModel.DataAnnotations;

namespace Parley.Silo.Audit;

// The audit routes write their JSON field by field (AuditCodec, AuditEndpoints); these types describe it for the OpenAPI
// document only, and the contract run checks every answer against them.

/// <summary>One audit record as <c>GET /admin/audit/records</c> and the export write it.</summary>
public sealed record AuditRecordObject(
    string Silo,
    long Seq,
    long TimeUs,
    string RequestId,
    string UserId,
    string KeyId,
    string Method,
    string Route,
    string? Model,
    string? Deployment,
    long? PromptTokens,
    long? CompletionTokens,
    long? CostMicros,
    int Status,
    string? ErrorCode,
    long LatencyUs,
    string? ConversationId,
    bool Replay,
    string? Policy,
    string? Excerpt,
    string Hash);

public sealed record AuditRecordList(
    [property: AllowedValues("list")] string Object,
    IReadOnlyList<AuditRecordObject> Data,
    bool HasMore,
    string? NextCursor);

public sealed record AuditChainObject(string Silo, bool Intact, long FirstSeq, long LastSeq, long Checked, long? BrokenSeq, string? Reason);

public sealed record AuditVerification(
    [property: AllowedValues("audit.verification")] string Object,
    bool Intact,
    IReadOnlyList<AuditChainObject> Chains);
