using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Policy;

namespace Parley.Grains.Policy;

/// <summary>The home of a user's and its keys' policy assignments. A change that loses an ETag race against a second
/// activation is applied again on the fresh state.</summary>
[GrainType("policy-assignment")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class PolicyAssignmentGrain([PersistentState("policy", GrainStorage.Name)] IPersistentState<PolicyAssignmentState> state)
    : Grain, IPolicyAssignmentGrain
{
    public Task<PolicyAssignments> GetAsync() => Task.FromResult(state.State.ToAssignments());

    public Task<PolicyAssignments> SetUserPolicyAsync(string? policy) => UpdateAsync(s => s.User = policy);

    public Task<PolicyAssignments> SetKeyPolicyAsync(string keyId, string? policy)
        => UpdateAsync(s =>
        {
            if (policy is null)
            {
                s.Keys.Remove(keyId);
            }
            else
            {
                s.Keys[keyId] = policy;
            }
        });

    private async Task<PolicyAssignments> UpdateAsync(Action<PolicyAssignmentState> change)
    {
        while (true)
        {
            change(state.State);
            try
            {
                await state.WriteStateAsync();
                return state.State.ToAssignments();
            }
            catch (InconsistentStateException)
            {
                await state.ReadStateAsync();
            }
        }
    }
}

public sealed class PolicyAssignmentState
{
    public string? User { get; set; }

    public Dictionary<string, string> Keys { get; set; } = [];

    public PolicyAssignments ToAssignments() => new(User, new Dictionary<string, string>(Keys));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PolicyAssignmentState))]
public sealed partial class PolicyAssignmentStateJsonContext : JsonSerializerContext;
