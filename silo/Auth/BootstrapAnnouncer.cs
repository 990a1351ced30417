namespace Parley.Silo.Auth;

/// <summary>The credentials created by the one-time bootstrap. A null secret means it came from configuration (the
/// operator already knows it), so it is not shown.</summary>
public sealed record BootstrapCredentials(string? AdminKey, string UserId, string UserName, string? UserKey);

/// <summary>Shows the bootstrap credentials to the operator: the only place a secret is ever shown.</summary>
public interface IBootstrapAnnouncer
{
    void Announce(BootstrapCredentials credentials);
}

/// <summary>Holds the credentials until the silo listens, then the startup banner writes them to standard output (not
/// to the log, which may be shipped elsewhere) beside the real base URL: a silo that fails to start (a port in use)
/// never shows a key that nobody can use.</summary>
internal sealed class ConsoleBootstrapAnnouncer : IBootstrapAnnouncer
{
    private BootstrapCredentials? _pending;

    public void Announce(BootstrapCredentials credentials) => Interlocked.Exchange(ref _pending, credentials);

    /// <summary>The credentials not shown yet (once: the secrets leave memory with the banner).</summary>
    public BootstrapCredentials? TakePending() => Interlocked.Exchange(ref _pending, null);

    public static void Write(TextWriter output, BootstrapCredentials c)
    {
        output.WriteLine(" First start: these credentials are shown ONCE; store them now.");
        output.WriteLine(c.AdminKey is null
            ? " Admin key:        (Parley:Auth:AdminKey from configuration)"
            : $" Admin key:        {c.AdminKey}");
        output.WriteLine(c.UserKey is null
            ? $" User '{c.UserName}' key: (Parley:Auth:BootstrapUserKey from configuration)"
            : $" User '{c.UserName}' key: {c.UserKey}");
        output.WriteLine($" User id:          {c.UserId}");
        output.WriteLine(" Manage users and keys under /admin with the admin key.");
    }
}
