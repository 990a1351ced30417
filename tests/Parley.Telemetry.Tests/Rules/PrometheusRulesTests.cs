using System.Text.RegularExpressions;
using Parley.Telemetry.Tests.Infrastructure;

namespace Parley.Telemetry.Tests.Rules;

/// <summary>deploy/prometheus: the recording rules and alerts pass <c>promtool check rules</c>, their unit tests pass
/// <c>promtool test rules</c>, and every series they read is one Parley (or Prometheus) really exports.</summary>
public sealed partial class PrometheusRulesTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "deploy", "prometheus");
    private const string RulesFile = "parley-rules.yml";
    private const string RuleTestsFile = "parley-rules.test.yml";

    /// <summary>The series the rules read, as /metrics names them, and Prometheus' own <c>up</c>. MetricsEndpointTests
    /// sees most of them in a real scrape after traffic; each is in docs/telemetry.md's metric tables.</summary>
    private static readonly string[] KnownSeries =
    [
        "parley_chat_requests_total", "gen_ai_client_operation_duration_seconds_bucket", "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
        "gen_ai_client_token_usage_sum", "parley_upstream_rate_limited_total", "parley_quota_decisions_total", "parley_upstream_circuit_state",
        "parley_quota_alerts_total", "parley_redis_connected", "parley_quota_mode", "up",
    ];

    [Fact]
    public async Task The_rules_pass_promtool_check_rules()
    {
        var (exitCode, output) = await Promtool.RunAsync(["check", "rules", RulesFile], workingDirectory: Directory);
        Assert.True(exitCode == 0, $"promtool check rules (exit {exitCode}):\n{output}");
        Assert.Contains("SUCCESS: 14 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rules_unit_tests_pass_promtool_test_rules()
    {
        var (exitCode, output) = await Promtool.RunAsync(["test", "rules", RuleTestsFile], workingDirectory: Directory);
        Assert.True(exitCode == 0, $"promtool test rules (exit {exitCode}):\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_is_unit_tested_and_has_a_runbook_section()
    {
        var rules = File.ReadAllText(Path.Combine(Directory, RulesFile));
        var tests = File.ReadAllText(Path.Combine(Directory, RuleTestsFile));
        var runbook = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "telemetry.md"));
        var alerts = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["ParleyHighErrorRatio", "ParleyHighLatencyP99", "ParleyCircuitOpen", "ParleyUpstreamRateLimited", "ParleyBudgetAt80Percent",
            "ParleySiloDown", "ParleyRedisUnreachable"], alerts);
        foreach (var alert in alerts)
        {
            Assert.Contains("alertname: " + alert + "\n", tests, StringComparison.Ordinal);
            Assert.Contains("### " + alert + "\n", runbook, StringComparison.Ordinal);
            Assert.Contains("runbook: docs/telemetry.md#" + alert.ToLowerInvariant() + "\n", rules, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_rules_read_only_series_that_exist()
    {
        var rules = File.ReadAllText(Path.Combine(Directory, RulesFile));
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match expr in Expression().Matches(rules))
        {
            // Label lists (by, on, ...) and selectors name labels, not series.
            var text = Selector().Replace(LabelList().Replace(expr.Groups[1].Value + expr.Groups[2].Value, ""), "");
            foreach (Match name in SeriesName().Matches(text))
            {
                read.Add(name.Value);
            }
        }
        var recorded = Recorded().Matches(rules).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        read.ExceptWith(recorded);
        Assert.Equal(KnownSeries.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
        var documented = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "telemetry.md"));
        foreach (var series in read.Where(s => s != "up"))
        {
            var family = series.EndsWith("_bucket", StringComparison.Ordinal) ? series[..^"_bucket".Length]
                : series.EndsWith("_sum", StringComparison.Ordinal) ? series[..^"_sum".Length] : series;
            Assert.Contains("| `" + family + "` |", documented, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"- alert: (\S+)")]
    private static partial Regex AlertName();

    [GeneratedRegex(@"- record: (\S+)")]
    private static partial Regex Recorded();

    /// <summary>An <c>expr:</c> on one line, or a <c>|</c> block up to the next key.</summary>
    [GeneratedRegex(@"expr: (?:\|\n((?:\s{10,}.*\n)+)|(.*))")]
    private static partial Regex Expression();

    [GeneratedRegex(@"\b(?:by|on|ignoring|without)\s*\([^)]*\)")]
    private static partial Regex LabelList();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"\b(?:parley[:_][a-z0-9_:]+|gen_ai_[a-z0-9_]+|up)\b")]
    private static partial Regex SeriesName();
}
