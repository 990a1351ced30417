using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;
using Spectre.Console;

namespace Parley.Cli.Commands.Admin;

/// <summary><c>parley admin limits show USER</c>, <c>set USER</c> and <c>set-key KEY</c>. Setting replaces the user's
/// (or key's) own limits: a limit not given is no limit (the configured defaults still apply to users).</summary>
public static class LimitsCommand
{
    private static readonly (string Field, string Description)[] Fields =
    [
        ("requests_per_minute", "Requests per minute (sliding window)."),
        ("tokens_per_minute", "Tokens per minute (sliding window)."),
        ("concurrent_requests", "Requests in flight at once."),
        ("tokens_per_day", "Tokens per UTC day."),
        ("tokens_per_month", "Tokens per UTC month."),
        ("usd_per_day", "US dollars per UTC day."),
        ("usd_per_month", "US dollars per UTC month."),
    ];

    public static Command Create(CliContext context)
    {
        var limits = new Command("limits", "Show and set the limits of users and keys.");
        var userId = new Argument<string>("user-id");
        var show = new Command("show", "Show a user's own limits, its effective limits (with the defaults) and its keys' limits.") { userId };
        CommandRunner.SetAction(show, context, async (scope, ct) =>
        {
            Render(scope, await scope.Client.GetAsync($"admin/users/{Uri.EscapeDataString(scope.Get(userId))}/limits", ct).ConfigureAwait(false));
            return ExitCodes.Success;
        });
        limits.Subcommands.Add(show);
        limits.Subcommands.Add(Set(context, "set", "user-id", "Replace a user's own limits.", id => $"admin/users/{id}/limits"));
        limits.Subcommands.Add(Set(context, "set-key", "key-id", "Replace a key's own limits.", id => $"admin/keys/{id}/limits"));
        return limits;
    }

    private static Command Set(CliContext context, string name, string argumentName, string description, Func<string, string> path)
    {
        var id = new Argument<string>(argumentName);
        var command = new Command(name, description) { id };
        var options = Fields.Select(f => (f.Field, Option: new Option<decimal?>("--" + f.Field.Replace('_', '-')) { Description = f.Description })).ToList();
        foreach (var (_, option) in options)
        {
            command.Options.Add(option);
        }
        CommandRunner.SetAction(command, context, async (scope, ct) =>
        {
            var body = new JsonObject();
            foreach (var (field, option) in options)
            {
                if (scope.Get(option) is { } value)
                {
                    body[field] = field.StartsWith("usd", StringComparison.Ordinal) ? JsonValue.Create(value) : JsonValue.Create((long)value);
                }
            }
            Render(scope, await scope.Client.SendJsonAsync(HttpMethod.Put, path(Uri.EscapeDataString(scope.Get(id))), body, ct).ConfigureAwait(false));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Render(CommandScope scope, JsonElement limits)
    {
        if (scope.Json)
        {
            scope.WriteJson(limits);
            return;
        }
        var table = new Table().Title(Markup.Escape($"limits of {limits.String("user_id")}")).AddColumn("limit").AddColumn("own").AddColumn("effective");
        var keys = limits.Property("keys");
        var keyNames = keys.ValueKind == JsonValueKind.Object ? keys.EnumerateObject().Select(k => k.Name).ToList() : [];
        foreach (var key in keyNames)
        {
            table.AddColumn(Markup.Escape(key));
        }
        foreach (var (field, _) in Fields)
        {
            var row = new List<string> { field.Replace('_', ' '), Cell(limits.Property("user"), field), Cell(limits.Property("effective"), field) };
            row.AddRange(keyNames.Select(k => Cell(keys.Property(k), field)));
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        scope.Context.Console.Write(table);
    }

    private static string Cell(JsonElement limits, string field) => Output.Tables.Cell(limits.Property(field)) is { Length: > 0 } text ? text : "none";
}
