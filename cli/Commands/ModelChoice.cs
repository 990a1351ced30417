using Parley.Cli.Hosting;

namespace Parley.Cli.Commands;

/// <summary>Which model a command uses: --model, else the profile's default model, else the server's first model.</summary>
public static class ModelChoice
{
    public static async Task<string> ResolveAsync(CommandScope scope, string? requested, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            return requested;
        }
        if (!string.IsNullOrEmpty(scope.Profile.Profile.Model))
        {
            return scope.Profile.Profile.Model;
        }
        var models = await scope.Client.GetAsync("v1/models", cancellationToken).ConfigureAwait(false);
        return models.Data().Select(m => m.String("id")).FirstOrDefault(id => id is not null)
            ?? throw new CliException(ExitCodes.ApiError, "the server lists no models; pass --model.", "no_models");
    }
}
