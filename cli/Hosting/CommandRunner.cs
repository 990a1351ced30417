using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Profiles;

namespace Parley.Cli.Hosting;

/// <summary>What a command's action gets: the context, its parse result, whether --json was asked for, and (on
/// demand) the active profile and a client for its server.</summary>
public sealed class CommandScope(CliContext context, ParseResult parseResult) : IDisposable
{
    private ParleyClient? _client;
    private ActiveProfile? _profile;

    public CliContext Context { get; } = context;

    public ParseResult ParseResult { get; } = parseResult;

    public bool Json => ParseResult.GetValue(GlobalOptions.Json);

    public string? ProfileName => ParseResult.GetValue(GlobalOptions.Profile);

    public ActiveProfile Profile => _profile ??= ActiveProfile.Load(Context, ProfileName);

    public ParleyClient Client => _client ??= new ParleyClient(Profile.ServerUri, Profile.Secret);

    public T Get<T>(Option<T> option) => ParseResult.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => ParseResult.GetValue(argument)!;

    /// <summary>Writes one JSON document (compact, one line) on standard output.</summary>
    public void WriteJson(JsonNode? node) => Context.Out.WriteLine(node?.ToJsonString(JsonOutput.Options) ?? "null");

    public void WriteJson(JsonElement element) => Context.Out.WriteLine(JsonSerializer.Serialize(element, JsonOutput.Options));

    public void Dispose() => _client?.Dispose();
}

/// <summary>Runs a command's action and turns every failure into one line on standard error and an exit code.</summary>
public static class CommandRunner
{
    public static void SetAction(Command command, CliContext context, Func<CommandScope, CancellationToken, Task<int>> action)
        => command.SetAction((parseResult, cancellationToken) => RunAsync(context, parseResult, action, cancellationToken));

    public static async Task<int> RunAsync(CliContext context, ParseResult parseResult, Func<CommandScope, CancellationToken, Task<int>> action,
        CancellationToken cancellationToken)
    {
        using var scope = new CommandScope(context, parseResult);
        try
        {
            return await action(scope, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            WriteError(scope, "interrupted.", "interrupted", null, null);
            return ExitCodes.Interrupted;
        }
        catch (ParleyApiException e)
        {
            WriteError(scope, scope.Json ? e.Message : $"{e.Message} ({e.Describe()})", e.Code, e.Type, (int)e.Status);
            return e.ExitCode;
        }
        catch (CliException e)
        {
            WriteError(scope, e.Message, e.Code, null, null);
            return e.ExitCode;
        }
        catch (HttpRequestException e)
        {
            WriteError(scope, $"the connection to the server failed: {e.Message}", "connection_failed", null, null);
            return ExitCodes.Unreachable;
        }
        catch (IOException e)
        {
            WriteError(scope, e.Message, "io_error", null, null);
            return ExitCodes.UsageError;
        }
    }

    private static void WriteError(CommandScope scope, string message, string? code, string? type, int? status)
    {
        if (scope.Json)
        {
            var error = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = code };
            if (status is not null)
            {
                error["status"] = status;
            }
            scope.Context.Error.WriteLine(new JsonObject { ["error"] = error }.ToJsonString(JsonOutput.Options));
        }
        else
        {
            scope.Context.Error.WriteLine("parley: error: " + message.ReplaceLineEndings(" "));
        }
    }
}
