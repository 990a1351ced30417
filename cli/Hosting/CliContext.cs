using Spectre.Console;

namespace Parley.Cli.Hosting;

/// <summary>What a command reads and writes: the standard streams (and whether each is a terminal), the console
/// used for tables, prompts and progress, where profiles live, and the clock. Tests build one over their own
/// streams; <see cref="Program.Main"/> builds the real one.</summary>
public sealed class CliContext
{
    public required TextReader In { get; init; }

    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>False when standard input is a pipe or file (then secrets and prompts are read from it).</summary>
    public required bool InputIsTerminal { get; init; }

    /// <summary>False when standard output is a pipe or file (then output is plain, no colours or live progress).</summary>
    public required bool OutputIsTerminal { get; init; }

    /// <summary>The console over standard output (plain when it is not a terminal).</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>The console over standard error, where progress is drawn so standard output stays clean.</summary>
    public required IAnsiConsole ErrorConsole { get; init; }

    /// <summary>Where config.json (profiles, no secrets) and any plaintext credential live.</summary>
    public required string ConfigDirectory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Raised on Ctrl-C (SIGINT); a handler that sets Cancel keeps the process alive.</summary>
    public ICancelSignal CancelSignal { get; init; } = new ConsoleCancelSignal();

    /// <summary>The config directory: PARLEY_CONFIG_DIR, else the platform's per-user config folder
    /// (<c>$XDG_CONFIG_HOME</c> or <c>~/.config</c> on Linux and macOS, <c>%APPDATA%</c> on Windows) + <c>parley</c>.</summary>
    public static string DefaultConfigDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable("PARLEY_CONFIG_DIR");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "parley");
    }

    public static CliContext ForProcess()
    {
        var input = new StreamReader(System.Console.OpenStandardInput(), new System.Text.UTF8Encoding(false));
        var output = new StreamWriter(System.Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
        var error = new StreamWriter(System.Console.OpenStandardError(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
        var outputIsTerminal = !System.Console.IsOutputRedirected;
        var errorIsTerminal = !System.Console.IsErrorRedirected;
        return new CliContext
        {
            In = input,
            Out = output,
            Error = error,
            InputIsTerminal = !System.Console.IsInputRedirected,
            OutputIsTerminal = outputIsTerminal,
            Console = CreateConsole(output, outputIsTerminal),
            ErrorConsole = CreateConsole(error, errorIsTerminal),
            ConfigDirectory = DefaultConfigDirectory(),
        };
    }

    /// <summary>For tests and embedding: nothing is a terminal, output is plain.</summary>
    public static CliContext ForStreams(TextReader input, TextWriter output, TextWriter error, string? configDirectory = null) => new()
    {
        In = input,
        Out = output,
        Error = error,
        InputIsTerminal = false,
        OutputIsTerminal = false,
        Console = CreateConsole(output, false),
        ErrorConsole = CreateConsole(error, false),
        ConfigDirectory = configDirectory ?? DefaultConfigDirectory(),
    };

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
    });
}
