namespace Parley.GrainInterfaces.Policy;

/// <summary>Which PII and keyword policy applies to one user (key: user id) and to each of its virtual keys, as set
/// through the admin API. Policies themselves are configuration (<c>Parley:Policy:Policies</c>); silos cache what this
/// returns for a few seconds.</summary>
[Alias("parley.IPolicyAssignmentGrain")]
public interface IPolicyAssignmentGrain : IGrainWithStringKey
{
    Task<PolicyAssignments> GetAsync();

    /// <summary>Sets (or, with null, clears) the user's policy.</summary>
    Task<PolicyAssignments> SetUserPolicyAsync(string? policy);

    /// <summary>Sets (or, with null, clears) one key's policy.</summary>
    Task<PolicyAssignments> SetKeyPolicyAsync(string keyId, string? policy);
}

/// <param name="UserPolicy">The user's policy name, if one is set.</param>
/// <param name="KeyPolicies">Key id → policy name, for the keys that have their own.</param>
[GenerateSerializer, Immutable, Alias("parley.policy-assignments")]
public sealed record PolicyAssignments(string? UserPolicy, IReadOnlyDictionary<string, string> KeyPolicies)
{
    public static PolicyAssignments None { get; } = new(null, new Dictionary<string, string>());

    /// <summary>The policy of a caller: its key's, else its user's (null: neither has one).</summary>
    public string? For(string keyId) => KeyPolicies.TryGetValue(keyId, out var policy) ? policy : UserPolicy;
}
