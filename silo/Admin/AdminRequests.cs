using System.ComponentModel.DataAnnotations;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Admin;

/// <summary><c>POST /admin/users</c>: what <c>AdminEndpoints.CreateUserAsync</c> reads.</summary>
[RequestSchema(Example = """{"name": "Ada Lovelace"}""")]
public sealed class CreateUserRequest
{
    /// <summary>1 to 256 characters, not only whitespace.</summary>
    [MinLength(1), MaxLength(AdminEndpoints.MaxNameLength), RegularExpression(@"\S")]
    public required string Name { get; init; }
}

/// <summary><c>POST /admin/users/{userId}/keys</c>: the body is optional, and so are the name (null: none) and
/// <c>require_signature</c> (null: false).</summary>
[RequestSchema(Example = """{"name": "laptop"}""")]
public sealed class CreateKeyRequest
{
    [NullAllowed]
    [MinLength(1), MaxLength(AdminEndpoints.MaxNameLength), RegularExpression(@"\S")]
    public string? Name { get; init; }

    /// <summary>Every request made with the key must be signed (HMAC-SHA256; docs/auth.md). The answer then carries
    /// the signing secret, once.</summary>
    [NullAllowed]
    public bool? RequireSignature { get; init; }
}
