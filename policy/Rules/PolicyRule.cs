using Parley.Policy.Detection;

namespace Parley.Policy.Rules;

/// <summary>What a rule does with what it finds. The order is strictness: where rules overlap, the stricter wins.</summary>
public enum PolicyAction
{
    None = 0,

    /// <summary>Counted, logged (without content) and reported in a header; the text is unchanged.</summary>
    Flag = 1,

    /// <summary>Replaced by a stable placeholder (<c>&lt;&lt;PII_EMAIL_1&gt;&gt;</c>) on the way up; the reply's
    /// placeholders are replaced by the client's own values on the way down. Input only.</summary>
    Pseudonymize = 2,

    /// <summary>Replaced by a label (<c>[EMAIL]</c>) or partly starred out, for good.</summary>
    Mask = 3,

    /// <summary>The request is refused (400 <c>policy_blocked</c>), or the answer withheld.</summary>
    Block = 4,
}

public enum MaskStyle
{
    /// <summary><c>[LABEL]</c>.</summary>
    Label,

    /// <summary>Letters and digits starred out except the first <see cref="PolicyRule.KeepStart"/> and the last
    /// <see cref="PolicyRule.KeepEnd"/>; separators kept. An e-mail keeps its domain.</summary>
    Partial,
}

/// <summary>One rule of a policy: a detector (or a keyword list), what to do with a match in the request
/// (<see cref="Action"/>) and in the reply (<see cref="OutputAction"/>).</summary>
/// <param name="Label">Upper-case name used in masks and placeholders (default: the detector's, e.g. EMAIL).</param>
public sealed record PolicyRule(
    string Id,
    DetectorKind? Detector,
    IReadOnlyList<string> Keywords,
    PolicyAction Action,
    PolicyAction OutputAction,
    MaskStyle MaskStyle,
    string Label,
    int KeepStart,
    int KeepEnd)
{
    public static PolicyRule ForDetector(string id, DetectorKind detector, PolicyAction action, PolicyAction outputAction = PolicyAction.None,
        MaskStyle maskStyle = MaskStyle.Label, string? label = null, int keepStart = 0, int keepEnd = 4)
        => new(id, detector, [], action, outputAction, maskStyle, label ?? detector.DefaultLabel(), keepStart, keepEnd);

    public static PolicyRule ForKeywords(string id, IReadOnlyList<string> keywords, PolicyAction action, PolicyAction outputAction = PolicyAction.None,
        string label = "KEYWORD")
        => new(id, null, keywords, action, outputAction, MaskStyle.Label, label, 0, 0);

    public PolicyAction ActionFor(PolicyDirection direction) => direction == PolicyDirection.Input ? Action : OutputAction;
}

public enum PolicyDirection
{
    Input,
    Output,
}

/// <summary>A match of a rule in a text: <c>[Start, End)</c> in UTF-16 units; <see cref="Open"/>: a private-key block
/// whose end has not arrived.</summary>
public readonly record struct RuleMatch(int Start, int Length, PolicyRule Rule, PolicyAction Action, bool Open = false)
{
    public int End => Start + Length;
}
