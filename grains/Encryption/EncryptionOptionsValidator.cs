using Microsoft.Extensions.Options;

namespace Parley.Grains.Encryption;

/// <summary>Checks the key ring at start: ids a header can carry, keys of exactly 256 bits, the active key present. The
/// messages name the setting, never the key's value.</summary>
internal sealed class EncryptionOptionsValidator : IValidateOptions<EncryptionOptions>
{
    public ValidateOptionsResult Validate(string? name, EncryptionOptions options)
    {
        var failures = new List<string>();
        foreach (var (id, value) in options.Keys)
        {
            if (!ContentKeyRing.IsValidKeyId(id))
            {
                failures.Add($"{EncryptionOptions.SectionName}:Keys:{id}: a key id is 1–{ContentKeyRing.MaxKeyIdLength} characters of A–Z, a–z, 0–9, '.', '_' or '-'.");
            }
            if (!ContentKeyRing.TryDecodeKey(value, out _))
            {
                failures.Add($"{EncryptionOptions.SectionName}:Keys:{id} must be the base64 of exactly 32 random bytes (a 256-bit AES key), e.g. from `openssl rand -base64 32`.");
            }
        }
        if (options.Keys.Count == 0)
        {
            if (!string.IsNullOrEmpty(options.ActiveKeyId))
            {
                failures.Add($"{EncryptionOptions.SectionName}:ActiveKeyId is '{options.ActiveKeyId}' but {EncryptionOptions.SectionName}:Keys is empty.");
            }
        }
        else if (string.IsNullOrEmpty(options.ActiveKeyId))
        {
            failures.Add($"{EncryptionOptions.SectionName}:ActiveKeyId is required when {EncryptionOptions.SectionName}:Keys has keys (one of: {string.Join(", ", options.Keys.Keys.Order(StringComparer.Ordinal))}).");
        }
        else if (!options.Keys.ContainsKey(options.ActiveKeyId))
        {
            failures.Add($"{EncryptionOptions.SectionName}:ActiveKeyId '{options.ActiveKeyId}' is not one of {EncryptionOptions.SectionName}:Keys ({string.Join(", ", options.Keys.Keys.Order(StringComparer.Ordinal))}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
