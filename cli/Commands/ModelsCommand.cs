using System.CommandLine;
using Parley.Cli.Hosting;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley models</c>: GET /v1/models.</summary>
public static class ModelsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("models", "List the models the server offers.");
        CommandRunner.SetAction(command, context, async (scope, cancellationToken) =>
        {
            var models = await scope.Client.GetAsync("v1/models", cancellationToken).ConfigureAwait(false);
            if (scope.Json)
            {
                scope.WriteJson(models);
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("model", "owned by", "created");
            foreach (var model in models.Data())
            {
                var created = model.Long("created") is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "";
                table.AddRow(Markup.Escape(model.String("id") ?? ""), Markup.Escape(model.String("owned_by") ?? ""), created);
            }
            context.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }
}
