using Microsoft.Playwright;

namespace Parley.Browser.Tests.Infrastructure;

/// <summary>Debian's chromium driven by Playwright's .NET driver (the node driver the NuGet package ships). Playwright's
/// own browser download is not used: the browser comes from apt (test.sh installs it). A missing browser fails the
/// test with the fix in the message; it is never skipped.</summary>
public static class Chromium
{
    /// <summary>Overrides where the browser is looked for.</summary>
    public const string PathVariable = "PARLEY_CHROMIUM";

    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    // Headless, and nothing that would reach out to the network on its own (this machine has none).
    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public static string FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{PathVariable}={configured}, but there is no such file.");
        }
        foreach (var candidate in Candidates.Concat(SearchPath("chromium")))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException(
            "Chromium was not found at /usr/bin/chromium (nor on PATH). The browser tests need Debian's chromium: run ./test.sh, " +
            $"which installs it, or `apt-get install chromium`, or set {PathVariable} to a Chromium binary.");
    }

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
        => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = FindExecutable(),
            Headless = true,
            Args = Arguments,
            Timeout = 60_000,
        });

    private static IEnumerable<string> SearchPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name));
}
