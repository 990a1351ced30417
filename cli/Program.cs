using System.CommandLine;
using Parley.Cli.Commands;
using Parley.Cli.Commands.Admin;
using Parley.Cli.Hosting;

namespace Parley.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var context = CliContext.ForProcess();
        // Ctrl-C is the commands' to handle (chat cancels the answer, batch drains): System.CommandLine's own handler
        // would end the process.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, Output = context.Out, Error = context.Error };
        return BuildRootCommand(context).Parse(args).InvokeAsync(configuration);
    }

    /// <summary>The whole command tree over the given streams (nothing is a terminal), so tests can run it in-process.</summary>
    public static RootCommand BuildRootCommand(TextReader input, TextWriter output, TextWriter error)
        => BuildRootCommand(CliContext.ForStreams(input, output, error));

    public static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand("parley: the command line of the Parley LLM gateway.");
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Profile);
        root.Subcommands.Add(TokensCommand.Create(context.In, context.Out, context.Error));
        root.Subcommands.Add(LoginCommand.Create(context));
        root.Subcommands.Add(LogoutCommand.Create(context));
        root.Subcommands.Add(ProfilesCommand.Create(context));
        root.Subcommands.Add(ModelsCommand.Create(context));
        root.Subcommands.Add(ChatCommand.Create(context));
        root.Subcommands.Add(AskCommand.Create(context));
        root.Subcommands.Add(BatchCommand.Create(context));
        root.Subcommands.Add(DocumentCommands.Summarize(context));
        root.Subcommands.Add(DocumentCommands.Map(context));
        root.Subcommands.Add(UsageCommand.Create(context));
        root.Subcommands.Add(AdminCommand.Create(context));
        return root;
    }
}
