using Parley.Policy.Detection;

namespace Parley.Policy.Tests;

/// <summary>Runs the scanner with every detector and returns what it found as (kind, text) pairs.</summary>
internal static class Scan
{
    public const int MaxBirthYear = 2026;
    private static readonly PiiScanner All = new(DetectorSet.All, MaxBirthYear);

    public static List<(DetectorKind Kind, string Text)> Find(string text, DetectorSet detectors = DetectorSet.All, bool final = true)
    {
        var scanner = detectors == DetectorSet.All ? All : new PiiScanner(detectors, MaxBirthYear);
        var findings = new List<Finding>();
        scanner.Scan(text, findings, final);
        for (var i = 1; i < findings.Count; i++)
        {
            Assert.True(findings[i].Start >= findings[i - 1].End, "findings overlap or are out of order");
        }
        return findings.Select(f => (f.Kind, text.Substring(f.Start, f.Length))).ToList();
    }

    public static void Single(string text, DetectorKind kind, string value)
        => Assert.Equal([(kind, value)], Find(text));

    public static void None(string text) => Assert.Empty(Find(text));
}
