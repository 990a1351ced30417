using System.Diagnostics.Metrics;
using Parley.Policy.Rules;

namespace Parley.Silo.Policy;

/// <summary><c>parley.policy.matches</c>: values a policy rule matched, by policy, rule, action and direction
/// (<c>input</c>, <c>output</c>). Published with System.Diagnostics.Metrics under the meter <c>Parley.Policy</c>;
/// never carries content.</summary>
internal sealed class PolicyMetrics : IDisposable
{
    public const string MeterName = "Parley.Policy";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _matches;

    public PolicyMetrics()
    {
        _matches = _meter.CreateCounter<long>("parley.policy.matches", "{value}", "Values matched by a policy rule, by policy, rule, action and direction");
    }

    public void Matched(string policy, PolicyRule rule, PolicyAction action, PolicyDirection direction, int count)
        => _matches.Add(count, new KeyValuePair<string, object?>("policy", policy), new KeyValuePair<string, object?>("rule", rule.Id),
            new KeyValuePair<string, object?>("action", PolicyNames.Of(action)),
            new KeyValuePair<string, object?>("direction", direction == PolicyDirection.Input ? "input" : "output"));

    public void Dispose() => _meter.Dispose();
}

internal static class PolicyNames
{
    public static string Of(PolicyAction action) => action switch
    {
        PolicyAction.Flag => "flag",
        PolicyAction.Mask => "mask",
        PolicyAction.Pseudonymize => "pseudonymize",
        PolicyAction.Block => "block",
        _ => "none",
    };
}
