using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Parley.Cli.Hosting;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley usage</c>: GET /v1/usage (an admin profile: <c>parley admin usage USER</c>) as tables of use
/// against limits and a chart of how much of each limit is used.</summary>
public static class UsageCommand
{
    /// <summary>(label, usage field, limit field, money) in the order shown.</summary>
    private static readonly (string Label, string Used, string Limit, bool Money)[] Rows =
    [
        ("requests, last minute", "requests_last_minute", "requests_per_minute", false),
        ("tokens, last minute", "tokens_last_minute", "tokens_per_minute", false),
        ("concurrent requests", "concurrent_requests", "concurrent_requests", false),
        ("tokens today", "tokens_today", "tokens_per_day", false),
        ("tokens this month", "tokens_this_month", "tokens_per_month", false),
        ("USD today", "usd_today", "usd_per_day", true),
        ("USD this month", "usd_this_month", "usd_per_month", true),
    ];

    public static Command Create(CliContext context)
    {
        var command = new Command("usage", "Show your usage against your limits (this minute, today, this month).");
        CommandRunner.SetAction(command, context, async (scope, cancellationToken) =>
        {
            var usage = await scope.Client.GetAsync("v1/usage", cancellationToken).ConfigureAwait(false);
            Render(scope, usage);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Writes a quota.usage object as JSON, or as tables and a chart.</summary>
    public static void Render(CommandScope scope, JsonElement usage)
    {
        if (scope.Json)
        {
            scope.WriteJson(usage);
            return;
        }
        var console = scope.Context.Console;
        console.WriteLine($"User {usage.String("user_id")}, day {usage.String("day")} (UTC), month {usage.String("month")}.");
        WriteTable(console, "user", usage.Property("usage"), usage.Property("limits"));
        if (usage.Property("key_usage").ValueKind == JsonValueKind.Object)
        {
            WriteTable(console, $"key {usage.String("key_id")}", usage.Property("key_usage"), usage.Property("key_limits"));
        }
    }

    private static void WriteTable(IAnsiConsole console, string scope, JsonElement used, JsonElement limits)
    {
        var table = new Table().Title(Markup.Escape(scope)).AddColumns("", "used", "limit", "% used");
        var chart = new BarChart().Label("share of each limit used, %").WithMaxValue(100).Width(60);
        foreach (var (label, usedField, limitField, money) in Rows)
        {
            var value = used.Decimal(usedField) ?? 0;
            var limit = limits.Decimal(limitField);
            var percent = limit is > 0 ? Math.Min(100m, value / limit.Value * 100m) : (decimal?)null;
            table.AddRow(label, Format(value, money), limit is null ? "none" : Format(limit.Value, money),
                percent is null ? "" : percent.Value.ToString("0.#", CultureInfo.InvariantCulture));
            if (percent is not null)
            {
                chart.AddItem(label, (double)Math.Round(percent.Value, 1), percent >= 80 ? Color.Red : percent >= 50 ? Color.Yellow : Color.Green);
            }
        }
        console.Write(table);
        if (chart.Data.Count > 0)
        {
            console.Write(chart);
        }
    }

    private static string Format(decimal value, bool money)
        => money ? "$" + value.ToString("0.00####", CultureInfo.InvariantCulture) : value.ToString("#,0", CultureInfo.InvariantCulture);
}
