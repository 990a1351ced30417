using System.CommandLine;
using System.Text;
using Parley.Cli.Commands;

namespace Parley.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // Piped text is UTF-8 whatever the console's code page says, and token ids must survive a round trip.
        var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        return BuildRootCommand(stdin, Console.Out, Console.Error).Parse(args).InvokeAsync();
    }

    /// <summary>The whole command tree, over the given streams so tests can run it in-process.</summary>
    public static RootCommand BuildRootCommand(TextReader input, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Parley command line.");
        root.Subcommands.Add(TokensCommand.Create(input, output, error));
        return root;
    }
}
