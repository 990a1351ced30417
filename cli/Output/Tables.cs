using System.Globalization;
using System.Text.Json;
using Parley.Cli.Hosting;
using Spectre.Console;

namespace Parley.Cli.Output;

/// <summary>Shows a server object or list as a table with the given columns (JSON field names), or as JSON.</summary>
public static class Tables
{
    public static void Render(CommandScope scope, JsonElement result, params string[] columns)
    {
        if (scope.Json)
        {
            scope.WriteJson(result);
            return;
        }
        var rows = result.ValueKind == JsonValueKind.Object && result.String("object") == "list" ? result.Data().ToList() : [result];
        var table = new Table().AddColumns(columns.Select(c => new TableColumn(c.Replace('_', ' '))).ToArray());
        foreach (var row in rows)
        {
            table.AddRow(columns.Select(c => Markup.Escape(Cell(row.Property(c)))).ToArray());
        }
        scope.Context.Console.Write(table);
    }

    public static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => value.GetRawText(),
    };

    public static string Time(long? unixSeconds) => unixSeconds is { } seconds
        ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
        : "";
}
