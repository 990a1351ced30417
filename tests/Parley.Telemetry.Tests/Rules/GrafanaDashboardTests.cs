using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Parley.Telemetry.Tests.Infrastructure;

namespace Parley.Telemetry.Tests.Rules;

/// <summary>deploy/grafana/parley-dashboard.json: every panel's query is valid PromQL (promtool checks each as a
/// recording rule) and reads only series that exist: Parley's recording rules or metrics docs/telemetry.md names.</summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly string Deploy = Path.Combine(AppContext.BaseDirectory, "deploy");

    [Fact]
    public async Task Every_query_is_valid_promql_over_documented_series()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "parley-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
        Assert.Equal(22, expressions.Count);

        // Grafana's variables become what "All" selects; then promtool parses every query as a recording rule.
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (var i = 0; i < expressions.Count; i++)
        {
            rules.Append("      - record: dashboard:query").Append(i).Append('\n')
                .Append("        expr: ").Append(JsonSerializer.Serialize(expressions[i].Replace("$model", ".*", StringComparison.Ordinal))).Append('\n');
        }
        var file = Path.Combine(Path.GetTempPath(), $"parley-dashboard-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        try
        {
            var (exitCode, output) = await Promtool.RunAsync(["check", "rules", file]);
            Assert.True(exitCode == 0, $"promtool check rules on the dashboard's queries (exit {exitCode}):\n{output}");
            Assert.Contains($"SUCCESS: {expressions.Count} rules found", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        var recorded = Recorded().Matches(File.ReadAllText(Path.Combine(Deploy, "prometheus", "parley-rules.yml")))
            .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var documented = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "telemetry.md"));
        foreach (var expression in expressions)
        {
            var text = Selector().Replace(LabelList().Replace(expression, ""), "");
            var series = SeriesName().Matches(text).Select(m => m.Value).ToList();
            Assert.NotEmpty(series);
            foreach (var name in series.Where(n => n != "up" && !recorded.Contains(n)))
            {
                Assert.DoesNotContain(':', name);
                var family = Regex.Replace(name, "_(bucket|count|sum)$", "");
                Assert.True(documented.Contains("`" + family + "`", StringComparison.Ordinal), $"{name} (in {expression}) is not in docs/telemetry.md");
            }
        }
    }

    [GeneratedRegex(@"- record: (\S+)")]
    private static partial Regex Recorded();

    [GeneratedRegex(@"\b(?:by|on|ignoring|without)\s*\([^)]*\)")]
    private static partial Regex LabelList();

    [GeneratedRegex(@"\{[^}]*\}|\[[^\]]*\]")]
    private static partial Regex Selector();

    /// <summary>Series names: what is left once label lists, selectors and ranges are gone, minus functions and keywords.</summary>
    [GeneratedRegex(@"\b(?:[a-z_]+:[a-z0-9_:]+|(?:parley|gen_ai|orleans|http|kestrel|dotnet)_[a-z0-9_]+|up)\b")]
    private static partial Regex SeriesName();
}
