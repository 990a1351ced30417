namespace Parley.GrainInterfaces.Conversations;

/// <summary>A value pseudonymised on its way to the upstream: the placeholder the upstream sees (and the transcript
/// keeps), and the client's own value it stands for.</summary>
[GenerateSerializer, Immutable, Alias("parley.pseudonym")]
public sealed record Pseudonym(string Placeholder, string Value);

/// <summary>A value to pseudonymise, with the label its placeholder carries (<c>EMAIL</c> → <c>&lt;&lt;PII_EMAIL_n&gt;&gt;</c>).</summary>
[GenerateSerializer, Immutable, Alias("parley.pseudonym-request")]
public sealed record PseudonymRequest(string Label, string Value);

/// <param name="Found">False: the conversation does not exist for this user.</param>
/// <param name="Placeholders">One per requested value, in order: its placeholder, or null when the conversation's
/// store of pseudonyms is full (the caller masks that value instead).</param>
/// <param name="Vault">Every pseudonym of the conversation, for restoring a reply.</param>
[GenerateSerializer, Immutable, Alias("parley.redaction-record")]
public sealed record RedactionRecord(bool Found, IReadOnlyList<string?> Placeholders, IReadOnlyList<Pseudonym> Vault)
{
    public static RedactionRecord NotFound { get; } = new(false, [], []);
}
