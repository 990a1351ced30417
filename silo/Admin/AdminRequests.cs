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

/// <summary><c>POST /admin/users/{userId}/keys</c>: the body is optional, and so is the name (null: none).</summary>
[RequestSchema(Example = """{"name": "laptop"}""")]
public sealed class CreateKeyRequest
{
    [NullAllowed]
    [MinLength(1), MaxLength(AdminEndpoints.MaxNameLength), RegularExpression(@"\S")]
    public string? Name { get; init; }
}
