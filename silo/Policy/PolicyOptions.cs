using Parley.Policy.Detection;
using Parley.Policy.Rules;

namespace Parley.Silo.Policy;

/// <summary><c>Parley:Policy</c>: the PII and keyword policies, which one applies by default and to which model, and
/// the limits of applying them. Users and keys get theirs through the admin API.</summary>
public sealed class PolicyOptions
{
    public const string SectionName = "Parley:Policy";
    public const int DefaultMaxHoldBackChars = 256;
    public const int DefaultMaxPseudonymsPerConversation = 1000;
    public static readonly TimeSpan DefaultAssignmentCacheTtl = TimeSpan.FromSeconds(5);

    public bool Enabled { get; set; } = true;

    /// <summary>The policy of callers whose user and key have none (empty: no policy).</summary>
    public string? Default { get; set; }

    /// <summary>Public model name → policy, applied in addition to the caller's (the stricter action wins).</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Policy name → its rules.</summary>
    public Dictionary<string, PolicyDefinitionOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Most characters of a streamed reply held back at a time (a value that may still be growing).</summary>
    public int MaxHoldBackChars { get; set; } = DefaultMaxHoldBackChars;

    /// <summary>Pseudonyms one conversation keeps; past it, values to pseudonymise are masked.</summary>
    public int MaxPseudonymsPerConversation { get; set; } = DefaultMaxPseudonymsPerConversation;

    /// <summary>How long a silo trusts the policy assignments of a user it read.</summary>
    public TimeSpan AssignmentCacheTtl { get; set; } = DefaultAssignmentCacheTtl;
}

public sealed class PolicyDefinitionOptions
{
    public List<PolicyRuleOptions> Rules { get; set; } = [];
}

public sealed class PolicyRuleOptions
{
    /// <summary>Names the rule in errors, headers, logs and metrics.</summary>
    public string? Id { get; set; }

    /// <summary>What the rule finds; or set <see cref="Keywords"/> instead.</summary>
    public DetectorKind? Detector { get; set; }

    public List<string> Keywords { get; set; } = [];

    /// <summary>On the request: None, Flag, Mask, Pseudonymize or Block.</summary>
    public PolicyAction Action { get; set; }

    /// <summary>On the reply: None, Flag, Mask or Block.</summary>
    public PolicyAction OutputAction { get; set; }

    public MaskStyle Mask { get; set; } = MaskStyle.Label;

    /// <summary>The label in masks and placeholders; default: the detector's (EMAIL, PHONE, …), KEYWORD for keywords.</summary>
    public string? Label { get; set; }

    /// <summary>Partial masks: characters kept at the start and at the end.</summary>
    public int KeepStart { get; set; }

    public int KeepEnd { get; set; } = 4;

    public PolicyRule ToRule()
        => new(Id!, Detector, Keywords, Action, OutputAction, Mask, Label ?? Detector?.DefaultLabel() ?? "KEYWORD", KeepStart, KeepEnd);
}
