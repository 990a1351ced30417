using Parley.Testing.Logs;

namespace Parley.LogScan;

/// <summary>The whole-run scan: reads every file the test run's hosts and spawned silos logged to (test.sh sets
/// PARLEY_TEST_LOG_DIR, tests/Parley.Testing/Logs/TestLogFiles writes there) and fails when any line holds a canary or a
/// secret in a known format (<see cref="LeakPatterns"/>). Usage: <c>dotnet run --project tests/Parley.LogScan -- DIR</c>.
/// Exit codes: 0 clean, 1 a leak, 2 nothing to scan (the capture is broken: never a silent pass).</summary>
public static class Program
{
    private const int MaxReported = 50;

    public static int Main(string[] args)
    {
        if (args.Length != 1 || !Directory.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: Parley.LogScan <folder of captured logs>");
            return 2;
        }
        var files = Directory.GetFiles(args[0]).Order(StringComparer.Ordinal).ToList();
        long lines = 0, bytes = 0, leaks = 0;
        foreach (var file in files)
        {
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                number++;
                lines++;
                bytes += line.Length + 1;
                if (LeakPatterns.Find(line) is not { } found)
                {
                    continue;
                }
                leaks++;
                if (leaks <= MaxReported)
                {
                    // The finding names what matched but does not print it whole: the report is a log too.
                    var shown = found.Match.Length > 12 ? found.Match[..12] + "…" : found.Match;
                    Console.Error.WriteLine($"{Path.GetFileName(file)}:{number}: {found.Name} ({shown}): {Excerpt(line, found.Match)}");
                }
            }
        }
        Console.WriteLine($"Log scan: {files.Count} files, {lines:N0} lines ({bytes / 1024.0 / 1024.0:F1} MB), {leaks} with a secret or content.");
        if (lines == 0)
        {
            Console.Error.WriteLine("Log scan: nothing was captured; the capture is broken (is PARLEY_TEST_LOG_DIR reaching the tests?).");
            return 2;
        }
        return leaks == 0 ? 0 : 1;
    }

    private static string Excerpt(string line, string match)
    {
        var masked = line.Replace(match, "[" + match.Length + " characters]", StringComparison.Ordinal);
        return masked.Length > 400 ? masked[..400] + "…" : masked;
    }
}
