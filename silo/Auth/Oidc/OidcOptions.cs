using System.Net;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth.Oidc;

/// <summary>Parley:Auth:Oidc: JWT bearer tokens from one OpenID Connect issuer, beside virtual keys. Off while
/// <see cref="Authority"/> is unset.</summary>
public sealed class OidcOptions
{
    public const string SectionName = "Parley:Auth:Oidc";
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultMetadataRefreshInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultUnknownKeyRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>Asymmetric algorithms only: a symmetric (HS*) algorithm would let anyone holding the issuer's public
    /// key forge tokens, and <c>none</c> is no signature at all.</summary>
    public static readonly IReadOnlySet<string> AsymmetricAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public static readonly IReadOnlyList<string> DefaultAlgorithms = ["RS256", "ES256", "PS256"];

    /// <summary>The issuer's URL, e.g. https://login.example.com/realms/staff. Its discovery document is read from
    /// <c>{Authority}/.well-known/openid-configuration</c> and must name this same issuer.</summary>
    public string? Authority { get; set; }

    /// <summary>The <c>aud</c> a token must carry to be accepted here (the API's identifier at the issuer).</summary>
    public string? Audience { get; set; }

    /// <summary>The accepted <c>alg</c> values; when empty, <see cref="DefaultAlgorithms"/>.</summary>
    public List<string> AllowedAlgorithms { get; set; } = [];

    /// <summary>Tolerated difference between the issuer's clock and this silo's when checking exp and nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = DefaultClockSkew;

    /// <summary>The claim that identifies the person; with the issuer it names one Parley user.</summary>
    public string UserClaim { get; set; } = "sub";

    /// <summary>The claim shown as the provisioned user's name (the user claim's value when absent).</summary>
    public string NameClaim { get; set; } = "preferred_username";

    /// <summary>The claim that carries roles or groups (a JSON array or a single value).</summary>
    public string AdminClaimType { get; set; } = "roles";

    /// <summary>The value of <see cref="AdminClaimType"/> that makes the caller an admin; unset: no token is an admin.</summary>
    public string? AdminClaimValue { get; set; }

    /// <summary>Discovery and keys over HTTPS. May be false only for an issuer on a loopback address (tests, a local issuer).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>How often the discovery document and the signing keys are read again (a removed key stops working then).</summary>
    public TimeSpan MetadataRefreshInterval { get; set; } = DefaultMetadataRefreshInterval;

    /// <summary>A token signed with a key id this silo does not know makes it read the keys again at once, at most
    /// this often (a flood of made-up key ids cannot turn into a flood of requests to the issuer).</summary>
    public TimeSpan UnknownKeyRefreshInterval { get; set; } = DefaultUnknownKeyRefreshInterval;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    public IReadOnlyList<string> EffectiveAlgorithms => AllowedAlgorithms.Count == 0 ? DefaultAlgorithms : AllowedAlgorithms;

    /// <summary>The issuer as it must appear in the discovery document and in <c>iss</c> (compared without a trailing slash).</summary>
    public static string NormalizeIssuer(string issuer) => issuer.TrimEnd('/');
}

internal sealed class OidcOptionsValidator : IValidateOptions<OidcOptions>
{
    private const string S = OidcOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, OidcOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }
        var failures = new List<string>();
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(authority.Query) || !string.IsNullOrEmpty(authority.Fragment))
        {
            failures.Add($"{S}:Authority must be an absolute http(s) URL without query or fragment.");
        }
        else if (authority.Scheme == Uri.UriSchemeHttp && options.RequireHttpsMetadata)
        {
            failures.Add($"{S}:Authority must use https (RequireHttpsMetadata is true).");
        }
        else if (!options.RequireHttpsMetadata && !IsLoopback(authority))
        {
            failures.Add($"{S}:RequireHttpsMetadata may be false only for an issuer on a loopback address.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{S}:Audience is required when Authority is set.");
        }
        foreach (var algorithm in options.AllowedAlgorithms)
        {
            if (!OidcOptions.AsymmetricAlgorithms.Contains(algorithm))
            {
                failures.Add($"{S}:AllowedAlgorithms: '{algorithm}' is not allowed; use asymmetric algorithms ({string.Join(", ", OidcOptions.AsymmetricAlgorithms)}).");
            }
        }
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > OidcOptions.MaxClockSkew)
        {
            failures.Add($"{S}:ClockSkew must be between 0 and {OidcOptions.MaxClockSkew}.");
        }
        if (string.IsNullOrWhiteSpace(options.UserClaim))
        {
            failures.Add($"{S}:UserClaim must name a claim.");
        }
        if (!string.IsNullOrEmpty(options.AdminClaimValue) && string.IsNullOrWhiteSpace(options.AdminClaimType))
        {
            failures.Add($"{S}:AdminClaimType must name a claim when AdminClaimValue is set.");
        }
        if (options.MetadataRefreshInterval < TimeSpan.FromMinutes(1) || options.MetadataRefreshInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"{S}:MetadataRefreshInterval must be between 00:01:00 and 1.00:00:00.");
        }
        if (options.UnknownKeyRefreshInterval < TimeSpan.FromSeconds(1) || options.UnknownKeyRefreshInterval > options.MetadataRefreshInterval)
        {
            failures.Add($"{S}:UnknownKeyRefreshInterval must be at least 00:00:01 and at most MetadataRefreshInterval.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsLoopback(Uri uri)
        => uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
