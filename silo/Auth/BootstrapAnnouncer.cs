namespace Parley.Silo.Auth;

/// <summary>The credentials created by the one-time bootstrap. A null secret means it came from configuration (the
/// operator already knows it), so it is not shown.</summary>
public sealed record BootstrapCredentials(string? AdminKey, string UserId, string UserName, string? UserKey);

/// <summary>Shows the bootstrap credentials to the operator: the only place a secret is ever shown.</summary>
public interface IBootstrapAnnouncer
{
    void Announce(BootstrapCredentials credentials);
}

/// <summary>Writes a banner to standard output (not to the log, which may be shipped elsewhere).</summary>
internal sealed class ConsoleBootstrapAnnouncer : IBootstrapAnnouncer
{
    private const string Rule = "==========================================================================";

    public void Announce(BootstrapCredentials credentials) => Write(Console.Out, credentials);

    public static void Write(TextWriter output, BootstrapCredentials c)
    {
        output.WriteLine();
        output.WriteLine(Rule);
        output.WriteLine(" Parley: first start. These credentials are shown ONCE; store them now.");
        output.WriteLine(Rule);
        output.WriteLine(c.AdminKey is null
            ? " Admin key:        (Parley:Auth:AdminKey from configuration)"
            : $" Admin key:        {c.AdminKey}");
        output.WriteLine(c.UserKey is null
            ? $" User '{c.UserName}' key: (Parley:Auth:BootstrapUserKey from configuration)"
            : $" User '{c.UserName}' key: {c.UserKey}");
        output.WriteLine($" User id:          {c.UserId}");
        output.WriteLine();
        output.WriteLine(" Point any OpenAI client at this silo's /v1 with the user key, e.g.");
        output.WriteLine("   OPENAI_BASE_URL=http://localhost:<port>/v1 OPENAI_API_KEY=<user key>");
        output.WriteLine(" Manage users and keys under /admin with the admin key.");
        output.WriteLine(Rule);
        output.WriteLine();
        output.Flush();
    }
}
