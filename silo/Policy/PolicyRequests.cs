using Parley.Silo.OpenApi;

namespace Parley.Silo.Policy;

/// <summary><c>PUT /admin/users/{userId}/policy</c> and <c>PUT /admin/keys/{keyId}/policy</c>: the name of a configured
/// policy (see <c>GET /admin/policies</c>) to set, or null to clear.</summary>
[RequestSchema(Example = """{"policy": null}""")]
public sealed class SetPolicyRequest
{
    [NullAllowed]
    public required string? Policy { get; init; }
}
