using System.Text.RegularExpressions;

namespace Parley.Testing.Logs;

/// <summary>What must never appear in a log line: canaries the tests plant in keys, tokens and content, and the known
/// formats of secrets (a Parley virtual key, a signing secret, a bearer credential, an <c>sk-</c> API key, the tests' upstream keys).
/// Shared by the focused leak test and the whole-run scanner (tests/Parley.LogScan).</summary>
public static partial class LeakPatterns
{
    /// <summary>Every canary a test plants starts with this; the rest is random (<see cref="NewCanary"/>).</summary>
    public const string CanaryPrefix = "PLYCANARY";

    /// <summary>A fresh canary: the prefix, a label saying where it was planted, and random hex.</summary>
    public static string NewCanary(string label) => $"{CanaryPrefix}{label}{Guid.NewGuid():N}";

    /// <summary>The named patterns, checked on every line.</summary>
    public static IReadOnlyList<(string Name, Regex Pattern)> All { get; } =
    [
        ("canary", Canary()),
        ("Parley virtual key", VirtualKey()),
        ("bearer credential", BearerCredential()),
        ("sk- API key", SkKey()),
        ("signing secret", SigningSecret()),
    ];

    /// <summary>The first pattern <paramref name="line"/> matches, with what matched; null when it is clean.</summary>
    public static (string Name, string Match)? Find(string line)
    {
        foreach (var (name, pattern) in All)
        {
            var match = pattern.Match(line);
            if (match.Success)
            {
                return (name, match.Value);
            }
        }
        return null;
    }

    [GeneratedRegex(CanaryPrefix, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Canary();

    // sk-parley- and 43 URL-safe characters; shorter tails too, a cut key is still a leak.
    [GeneratedRegex(@"sk-parley-[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex VirtualKey();

    // "Bearer " followed by a credential (not the scheme named alone, as in a WWW-Authenticate challenge).
    [GeneratedRegex(@"Bearer\s+[A-Za-z0-9_\-\.~+/=]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex BearerCredential();

    // A signed-request key's signing secret: ss-parley- and 43 URL-safe characters.
    [GeneratedRegex(@"ss-parley-[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex SigningSecret();

    // OpenAI's and the tests' upstream keys (sk-…, sk-proj-…, sk-upstream-…, sk-sim-…): a long token after "sk-".
    [GeneratedRegex(@"\bsk-[A-Za-z0-9_\-]{16,}", RegexOptions.CultureInvariant)]
    private static partial Regex SkKey();
}
