namespace Parley.Cli.Hosting;

/// <summary>A failure the command reports as one line and an exit code (never a stack trace).</summary>
public class CliException(int exitCode, string message, string? code = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>A machine-readable code for --json output (the server's when it came from the server).</summary>
    public string? Code { get; } = code;

    public static CliException Usage(string message) => new(ExitCodes.UsageError, message, "usage_error");
}
