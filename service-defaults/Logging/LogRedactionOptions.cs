using Microsoft.Extensions.Options;

namespace Parley.ServiceDefaults.Logging;

/// <summary><c>Parley:Logging</c>: the key that turns user ids, virtual key ids and personal data into stable
/// pseudonyms in log lines (HMAC-SHA256).</summary>
public sealed class LogRedactionOptions
{
    public const string SectionName = "Parley:Logging";

    /// <summary>Base64 of at least 32 random bytes (44 characters or more), the same on every silo and front end so a
    /// user's lines carry one pseudonym everywhere. Keep it secret: whoever has it can test a guessed id. Empty: a key
    /// made at start, so pseudonyms line up within one process only.</summary>
    public string IdHmacKey { get; set; } = "";

    /// <summary>Written into every pseudonym (<c>&lt;id&gt;:&lt;hash&gt;</c>); change it with the key, so pseudonyms
    /// made under different keys are never mistaken for one another.</summary>
    public int? IdHmacKeyId { get; set; }
}

internal sealed class LogRedactionOptionsValidator : IValidateOptions<LogRedactionOptions>
{
    public ValidateOptionsResult Validate(string? name, LogRedactionOptions options)
    {
        if (options.IdHmacKey.Length == 0)
        {
            return ValidateOptionsResult.Success;
        }
        Span<byte> bytes = stackalloc byte[options.IdHmacKey.Length];
        if (!Convert.TryFromBase64String(options.IdHmacKey, bytes, out var length))
        {
            return ValidateOptionsResult.Fail($"{LogRedactionOptions.SectionName}:IdHmacKey must be base64.");
        }
        if (length < 32 || options.IdHmacKey.Length < 44)
        {
            return ValidateOptionsResult.Fail($"{LogRedactionOptions.SectionName}:IdHmacKey must be at least 32 bytes (44 base64 characters); it has {length}.");
        }
        return ValidateOptionsResult.Success;
    }
}
