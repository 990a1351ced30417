using System.CommandLine;
using Parley.Cli.Chat;
using Parley.Cli.Hosting;

namespace Parley.Cli.Commands;

/// <summary><c>parley chat</c>: an interactive session on a server-side conversation.</summary>
public static class ChatCommand
{
    public static Command Create(CliContext context)
    {
        var conversation = new Option<string>("--conversation", "-c") { Description = "Continue this conversation (conv_…); default: a new one." };
        var model = new Option<string>("--model", "-m") { Description = "The model (default: the conversation's, the profile's, else the server's first)." };
        var system = new Option<string>("--system") { Description = "Pin a system prompt on the new conversation." };
        var command = new Command("chat", "Chat interactively; answers stream as they are written. /help inside for commands.") { conversation, model, system };
        CommandRunner.SetAction(command, context, async (scope, cancellationToken) =>
        {
            var chosen = await ModelChoice.ResolveAsync(scope, scope.Get(model), cancellationToken).ConfigureAwait(false);
            var session = new ChatSession(scope, chosen, scope.Get(system));
            return await session.RunAsync(scope.Get(conversation), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
