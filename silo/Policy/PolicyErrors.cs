using Microsoft.AspNetCore.Http;
using Parley.Policy.Rules;
using Parley.Silo.Api;

namespace Parley.Silo.Policy;

/// <summary>The policy's refusals, in OpenAI's shape. The code and the message name the rule (the message also the
/// policy), never the matched text.</summary>
internal static class PolicyErrors
{
    /// <summary>Every refusal's code starts with this, followed by the rule's id: <c>policy_blocked:api-key</c>.</summary>
    public const string BlockedCodePrefix = "policy_blocked:";

    /// <summary>The error code naming the rule that blocked (rule ids never hold ':', so the prefix is unambiguous).</summary>
    public static string BlockedCode(PolicyRule rule) => BlockedCodePrefix + rule.Id;

    public static ApiError InputBlocked(string policy, PolicyRule rule, string param)
        => new(StatusCodes.Status400BadRequest, $"The request was blocked by policy '{policy}': rule '{rule.Id}' matched in {param}.",
            OpenAIErrorTypes.InvalidRequest, param, BlockedCode(rule));

    public static string OutputBlockedMessage(string policy, PolicyRule rule)
        => $"The answer was withheld by policy '{policy}': rule '{rule.Id}' matched in the reply.";

    public static ApiError OutputBlocked(string policy, PolicyRule rule)
        => new(StatusCodes.Status400BadRequest, OutputBlockedMessage(policy, rule), OpenAIErrorTypes.InvalidRequest, null, BlockedCode(rule));
}

/// <summary>Response headers of the policy: which applied, how many values were redacted on the way up, which rules
/// flagged something. Never content.</summary>
internal static class PolicyHeaders
{
    /// <summary>The effective policy (the caller's and the model's joined with '+').</summary>
    public const string Policy = "x-parley-policy";

    /// <summary>Values masked or pseudonymised in the request.</summary>
    public const string Redacted = "x-parley-policy-redacted";

    /// <summary>Ids of the rules that flagged something (in the request; for a JSON answer also in the reply).</summary>
    public const string Flagged = "x-parley-policy-flagged";

    /// <summary>With a refusal: the rule that blocked.</summary>
    public const string Rule = "x-parley-policy-rule";
}
