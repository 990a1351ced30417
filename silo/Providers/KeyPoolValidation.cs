namespace Parley.Silo.Providers;

/// <summary>Checks a provider's key pool. Messages name keys by id and position, never by secret.</summary>
internal static class KeyPoolValidation
{
    private static readonly TimeSpan MaxPacingWaitLimit = TimeSpan.FromMinutes(5);
    private const double MaxPacingMargin = 1.0;
    private static readonly TimeSpan MaxStoreTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxUnlimitedKeyRecheck = TimeSpan.FromMinutes(1);

    public static void Validate(string providerName, ProviderOptions provider, List<string> failures)
    {
        var prefix = $"Parley:Providers:{providerName}";
        if (providerName.Contains('{', StringComparison.Ordinal) || providerName.Contains('}', StringComparison.Ordinal)
            || providerName.Contains('/', StringComparison.Ordinal))
        {
            // The name is the pool's Redis hash tag and the first half of each key's grain key.
            failures.Add($"{prefix}: a provider name may not contain '/', '{{' or '}}'.");
        }
        if (provider.Keys.Count > 0 && !string.IsNullOrEmpty(provider.ApiKey))
        {
            failures.Add($"{prefix}: set either ApiKey (a pool of one key) or Keys, not both.");
        }
        if (provider.Keys.Count > UpstreamKeyPool.MaxKeys)
        {
            failures.Add($"{prefix}:Keys holds {provider.Keys.Count} keys; a pool takes at most {UpstreamKeyPool.MaxKeys}.");
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < provider.Keys.Count; i++)
        {
            var key = provider.Keys[i];
            var at = $"{prefix}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key.Id) || key.Id.Contains('/', StringComparison.Ordinal) || key.Id.Contains('{', StringComparison.Ordinal)
                || key.Id.Contains('}', StringComparison.Ordinal) || key.Id.Trim().Length != key.Id.Length)
            {
                failures.Add($"{at}:Id is required and may not contain '/', '{{', '}}' or surrounding spaces.");
            }
            else if (!ids.Add(key.Id))
            {
                failures.Add($"{at}:Id '{key.Id}' is used twice in this provider's pool.");
            }
            if (key.RequestsPerMinute is <= 0)
            {
                failures.Add($"{at}:RequestsPerMinute must be positive (leave it unset for no limit).");
            }
            if (key.TokensPerMinute is <= 0)
            {
                failures.Add($"{at}:TokensPerMinute must be positive (leave it unset for no limit).");
            }
            if (key.MaxConcurrent is <= 0)
            {
                failures.Add($"{at}:MaxConcurrent must be positive (leave it unset for no limit).");
            }
            if (key.Weight <= 0)
            {
                failures.Add($"{at}:Weight must be positive.");
            }
        }
        var pool = provider.Pool;
        if (pool.MaxPacingWait < TimeSpan.Zero || pool.MaxPacingWait > MaxPacingWaitLimit)
        {
            failures.Add($"{prefix}:Pool:MaxPacingWait must be between 0 and {MaxPacingWaitLimit}.");
        }
        if (!(pool.PacingMargin >= 0 && pool.PacingMargin <= MaxPacingMargin))
        {
            failures.Add($"{prefix}:Pool:PacingMargin must be between 0 and {MaxPacingMargin} (a share of each key's spacing).");
        }
        if (pool.ErrorsBeforeCooldown <= 0)
        {
            failures.Add($"{prefix}:Pool:ErrorsBeforeCooldown must be positive.");
        }
        if (pool.ErrorWindow <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}:Pool:ErrorWindow must be positive.");
        }
        if (pool.Cooldown <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}:Pool:Cooldown must be positive.");
        }
        if (pool.StoreTimeout <= TimeSpan.Zero || pool.StoreTimeout > MaxStoreTimeout)
        {
            failures.Add($"{prefix}:Pool:StoreTimeout must be positive and at most {MaxStoreTimeout}.");
        }
        if (pool.ConcurrencyLeaseTtl <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}:Pool:ConcurrencyLeaseTtl must be positive.");
        }
        if (pool.UnlimitedKeyRecheck < TimeSpan.Zero || pool.UnlimitedKeyRecheck > MaxUnlimitedKeyRecheck)
        {
            failures.Add($"{prefix}:Pool:UnlimitedKeyRecheck must be between 0 and {MaxUnlimitedKeyRecheck}.");
        }
    }
}
