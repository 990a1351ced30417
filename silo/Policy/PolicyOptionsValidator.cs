using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;

namespace Parley.Silo.Policy;

/// <summary>Refuses, at start, a policy configuration that would not do what it says: unknown names, rules without a
/// detector or keywords, actions that make no sense in their direction, bad labels and limits.</summary>
internal sealed class PolicyOptionsValidator(IConfiguration configuration) : IValidateOptions<PolicyOptions>
{
    public const int MaxKeywordsPerRule = 100_000;
    public const int MaxKeywordLength = 256;

    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        const string Section = PolicyOptions.SectionName;
        var failures = new List<string>();
        foreach (var (policyName, policy) in options.Policies)
        {
            if (!IsName(policyName))
            {
                failures.Add($"{Section}:Policies: '{policyName}' is not a valid policy name (1-64 letters, digits, '.', '_' or '-').");
            }
            if (policy.Rules.Count == 0)
            {
                failures.Add($"{Section}:Policies:{policyName}:Rules must list at least one rule.");
            }
            var ids = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < policy.Rules.Count; i++)
            {
                ValidateRule($"{Section}:Policies:{policyName}:Rules:{i}", policy.Rules[i], ids, failures);
            }
        }
        if (!string.IsNullOrEmpty(options.Default) && !options.Policies.ContainsKey(options.Default))
        {
            failures.Add($"{Section}:Default names the policy '{options.Default}', which is not configured under {Section}:Policies.");
        }
        var models = configuration.GetSection("Parley:Models").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (model, policy) in options.Models)
        {
            if (!options.Policies.ContainsKey(policy))
            {
                failures.Add($"{Section}:Models:{model} names the policy '{policy}', which is not configured under {Section}:Policies.");
            }
            if (!models.Contains(model))
            {
                failures.Add($"{Section}:Models:{model}: no model '{model}' is configured under Parley:Models.");
            }
        }
        if (options.MaxHoldBackChars is < 64 or > 65536)
        {
            failures.Add($"{Section}:MaxHoldBackChars must be between 64 and 65536.");
        }
        if (options.MaxPseudonymsPerConversation is < 1 or > 1_000_000)
        {
            failures.Add($"{Section}:MaxPseudonymsPerConversation must be between 1 and 1000000.");
        }
        if (options.AssignmentCacheTtl <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:AssignmentCacheTtl must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateRule(string path, PolicyRuleOptions rule, HashSet<string> ids, List<string> failures)
    {
        if (string.IsNullOrEmpty(rule.Id) || !IsName(rule.Id))
        {
            failures.Add($"{path}:Id is required (1-64 letters, digits, '.', '_' or '-').");
        }
        else if (!ids.Add(rule.Id))
        {
            failures.Add($"{path}:Id '{rule.Id}' is used twice in the policy.");
        }
        if ((rule.Detector is null) == (rule.Keywords.Count == 0))
        {
            failures.Add($"{path}: set either Detector or Keywords, not both and not neither.");
        }
        if (rule.Detector is { } detector && !Enum.IsDefined(detector))
        {
            failures.Add($"{path}:Detector is not a known detector.");
        }
        if (rule.Keywords.Count > MaxKeywordsPerRule || rule.Keywords.Any(k => string.IsNullOrWhiteSpace(k) || k.Length > MaxKeywordLength))
        {
            failures.Add($"{path}:Keywords must be at most {MaxKeywordsPerRule} non-empty keywords of at most {MaxKeywordLength} characters.");
        }
        if (!Enum.IsDefined(rule.Action) || !Enum.IsDefined(rule.OutputAction) || !Enum.IsDefined(rule.Mask))
        {
            failures.Add($"{path}: Action, OutputAction or Mask has an unknown value.");
        }
        if (rule.Action == PolicyAction.None && rule.OutputAction == PolicyAction.None)
        {
            failures.Add($"{path}: set Action, OutputAction or both; a rule without either does nothing.");
        }
        if (rule.OutputAction == PolicyAction.Pseudonymize)
        {
            failures.Add($"{path}:OutputAction cannot be Pseudonymize (a reply's values come from the upstream; placeholders are restored anyway).");
        }
        if (rule.Label is { } label && !Placeholders.IsValidLabel(label))
        {
            failures.Add($"{path}:Label must be 1-{Placeholders.MaxLabelLength} upper-case letters, digits or '_', starting with a letter.");
        }
        if (rule.KeepStart is < 0 or > 32 || rule.KeepEnd is < 0 or > 32)
        {
            failures.Add($"{path}: KeepStart and KeepEnd must be between 0 and 32.");
        }
    }

    public static bool IsName(string name)
        => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
