using Microsoft.Extensions.Compliance.Classification;

namespace Parley.ServiceDefaults.Logging;

/// <summary>Parley's log data classes, the one list every host and library uses. A <c>[LoggerMessage]</c> parameter
/// that can carry one of these is marked with its attribute; the redactors configured in
/// <see cref="LogRedactionExtensions"/> replace its value before any logging provider sees it.</summary>
/// <remarks>What each class is for and what it becomes in a log line: docs/security.md ("Logs").</remarks>
public static class ParleyDataClasses
{
    public const string TaxonomyName = "Parley";

    /// <summary>Credentials: virtual keys, the admin key, upstream API keys, bearer tokens, cookies, HMAC secrets.
    /// Erased. Parley's code does not pass them to a log call at all; the class exists so that one that does is still
    /// safe.</summary>
    public static DataClassification Secret { get; } = new(TaxonomyName, nameof(Secret));

    /// <summary>What users send and get: prompts, replies, tool-call arguments, summaries, file lines, and any text
    /// that echoes them (an upstream's error message, a parser's complaint quoting the body, a request path or query).
    /// Erased.</summary>
    public static DataClassification Content { get; } = new(TaxonomyName, nameof(Content));

    /// <summary>Personal data that identifies a person directly: display names, e-mail addresses, client IP addresses,
    /// an identity provider's subject. HMAC-SHA256 (stable, so repeated failures from one address still line up).</summary>
    public static DataClassification Personal { get; } = new(TaxonomyName, nameof(Personal));

    /// <summary>Identifiers that stand for a person: user ids and virtual key ids. HMAC-SHA256 with the configured key,
    /// so an operator who holds the key can find a given user's lines, and nobody else can join logs to users.</summary>
    public static DataClassification Pseudonymous { get; } = new(TaxonomyName, nameof(Pseudonymous));
}

/// <summary>The parameter can carry a credential (<see cref="ParleyDataClasses.Secret"/>): erased.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue)]
public sealed class SecretDataAttribute() : DataClassificationAttribute(ParleyDataClasses.Secret);

/// <summary>The parameter can carry user content or text echoing it (<see cref="ParleyDataClasses.Content"/>): erased.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue)]
public sealed class UserContentAttribute() : DataClassificationAttribute(ParleyDataClasses.Content);

/// <summary>The parameter is personal data (<see cref="ParleyDataClasses.Personal"/>): HMAC-SHA256.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue)]
public sealed class PersonalDataAttribute() : DataClassificationAttribute(ParleyDataClasses.Personal);

/// <summary>The parameter is a user id or a virtual key id (<see cref="ParleyDataClasses.Pseudonymous"/>): HMAC-SHA256.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue)]
public sealed class PseudonymousIdAttribute() : DataClassificationAttribute(ParleyDataClasses.Pseudonymous);
