namespace Parley.Cli.Hosting;

/// <summary>The exit statuses every command uses (docs/cli.md lists them).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The server answered with an error (its message is printed), or some lines of a batch failed.</summary>
    public const int ApiError = 1;
    /// <summary>Bad arguments or input.</summary>
    public const int UsageError = 2;
    /// <summary>No usable credential: not logged in, the key refused (401/403), or the keyring unavailable.</summary>
    public const int AuthError = 3;
    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 4;
    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
