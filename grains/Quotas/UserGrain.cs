using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Quotas;

namespace Parley.Grains.Quotas;

/// <summary>The home of a user's limits and of its keys' limits. The activation is authoritative while it lives (Orleans
/// keeps one per user); silos cache what it returns for a few seconds. A change that loses an ETag race against a
/// second activation (possible briefly while membership changes) is re-applied on the fresh state.</summary>
[GrainType("user")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class UserGrain([PersistentState("quotas", GrainStorage.Name)] IPersistentState<UserQuotaState> state) : Grain, IUserGrain
{
    public Task<UserQuotaSettings> GetSettingsAsync() => Task.FromResult(state.State.ToSettings());

    public Task<UserQuotaSettings> SetUserLimitsAsync(QuotaLimits limits)
        => UpdateAsync(s => s.User = limits);

    public Task<UserQuotaSettings> SetKeyLimitsAsync(string keyId, QuotaLimits limits)
        => UpdateAsync(s =>
        {
            if (limits.IsEmpty)
            {
                s.Keys.Remove(keyId);
            }
            else
            {
                s.Keys[keyId] = limits;
            }
        });

    /// <summary>Limits are replaced whole, so a change that lost the race is simply applied again on the fresh state.</summary>
    private async Task<UserQuotaSettings> UpdateAsync(Action<UserQuotaState> change)
    {
        while (true)
        {
            change(state.State);
            state.State.Version++;
            try
            {
                await state.WriteStateAsync();
                return state.State.ToSettings();
            }
            catch (InconsistentStateException)
            {
                await state.ReadStateAsync();
            }
        }
    }
}

public sealed class UserQuotaState
{
    public QuotaLimits User { get; set; } = QuotaLimits.None;

    public Dictionary<string, QuotaLimits> Keys { get; set; } = [];

    public long Version { get; set; }

    public UserQuotaSettings ToSettings() => new(User, new Dictionary<string, QuotaLimits>(Keys), Version);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UserQuotaState))]
public sealed partial class UserQuotaStateJsonContext : JsonSerializerContext;
