using System.Diagnostics.Metrics;

namespace Parley.Silo.Telemetry;

/// <summary>The hook for content policies (PII redaction, keyword blocking, size and schema rules): inject this
/// singleton and call <see cref="Action"/> once per rule that acted on a request or an answer. It is the counter
/// <c>parley.policy.actions</c> under the meter <c>Parley.Policy</c>, on <c>/metrics</c> as
/// <c>parley_policy_actions_total{policy,action,direction}</c>. Label values must come from configuration or code
/// (a policy's configured name, a fixed action word), never from the text that was matched.</summary>
public sealed class PolicyMetrics : IDisposable
{
    public const string MeterName = "Parley.Policy";
    public const string ActionsName = "parley.policy.actions";

    /// <summary>Directions: the client's request, or the upstream's answer.</summary>
    public const string Input = "input";
    public const string Output = "output";

    private readonly Meter _meter;
    private readonly Counter<long> _actions;

    public PolicyMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _actions = _meter.CreateCounter<long>(ActionsName, "{action}", "Content policy actions by policy, action (e.g. redacted, blocked, flagged) and direction (input, output)");
    }

    /// <param name="policy">The policy's configured name (e.g. <c>pii</c>, <c>keywords</c>).</param>
    /// <param name="action">What it did: <c>redacted</c>, <c>blocked</c>, <c>flagged</c>, ...</param>
    /// <param name="direction"><see cref="Input"/> or <see cref="Output"/>.</param>
    public void Action(string policy, string action, string direction)
    {
        var tags = new System.Diagnostics.TagList
        {
            { "policy", policy },
            { "action", action },
            { "direction", direction },
        };
        _actions.Add(1, tags);
    }

    public void Dispose() => _meter.Dispose();
}
