using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth.Sessions;

/// <summary>Browser sessions of admins (the sign-in page and its cookie). Bound from the section of the feature that
/// offers them (today Parley:Dashboard).</summary>
public sealed class AdminSessionOptions
{
    public static readonly TimeSpan DefaultCookieLifetime = TimeSpan.FromHours(8);
    public static readonly TimeSpan MaxCookieLifetime = TimeSpan.FromDays(7);
    public static readonly TimeSpan DefaultSignInFailureWindow = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultSignInFailureDelay = TimeSpan.FromSeconds(1);
    public const int DefaultMaxSignInFailures = 5;

    /// <summary>How long a session lasts without use (sliding: a request in its second half renews it).</summary>
    public TimeSpan CookieLifetime { get; set; } = DefaultCookieLifetime;

    /// <summary>Wrong keys one client address may submit within <see cref="SignInFailureWindow"/>; past it the sign-in
    /// page answers 429 (without checking the key) until the window has passed.</summary>
    public int MaxSignInFailures { get; set; } = DefaultMaxSignInFailures;

    public TimeSpan SignInFailureWindow { get; set; } = DefaultSignInFailureWindow;

    /// <summary>How long the answer to a wrong key is held back, so that guessing is slow even below the limit.</summary>
    public TimeSpan SignInFailureDelay { get; set; } = DefaultSignInFailureDelay;
}

internal sealed class AdminSessionOptionsValidator(string section) : IValidateOptions<AdminSessionOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminSessionOptions options)
    {
        var failures = new List<string>();
        if (options.CookieLifetime < TimeSpan.FromMinutes(1) || options.CookieLifetime > AdminSessionOptions.MaxCookieLifetime)
        {
            failures.Add($"{section}:CookieLifetime must be between 1 minute and {AdminSessionOptions.MaxCookieLifetime.TotalDays} days.");
        }
        if (options.MaxSignInFailures < 1)
        {
            failures.Add($"{section}:MaxSignInFailures must be at least 1.");
        }
        if (options.SignInFailureWindow < TimeSpan.FromSeconds(1) || options.SignInFailureWindow > TimeSpan.FromDays(1))
        {
            failures.Add($"{section}:SignInFailureWindow must be between 1 second and 1 day.");
        }
        if (options.SignInFailureDelay < TimeSpan.Zero || options.SignInFailureDelay > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{section}:SignInFailureDelay must be between 0 and 10 seconds.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
