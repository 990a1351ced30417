using System.Diagnostics;
using Parley.Testing;

namespace Parley.Bench.Tests;

/// <summary>Every benchmark command runs to its end, on tiny inputs, as a process started the way the docs start it:
/// a benchmark is only useful if it still runs when someone needs its figures (three had stopped running unnoticed
/// after the move to StackExchange.Redis 3, the encryption feature and the removal of runtime/). The figures are not
/// judged here: on tiny inputs a verdict may say FAIL (exit code 1); a crash, a hang or a missing last line fails.
/// The chaos benchmark is left out: the cluster tests run the same chaos code for 60 s.</summary>
public sealed class BenchmarkSmokeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    public static TheoryData<string, string, string> Commands => new()
    {
        { "quota", "--iterations 200 --seconds 1 --concurrency 4 --users 10", "Verdict:" },
        { "routing", "--calls 2000 --rounds 1", "Verdict:" },
        { "auth", "--iterations 200 --rounds 1", "JWT RS256" },
        { "tokenizer", "--size-mb 1 --warmup 1 --passes 1", "| cl100k_base |" },
        { "policy", "--size-mb 1 --passes 1 --iterations 200 --rounds 1", "Verdict:" },
        { "encryption", "--iterations 200 --rounds 1", "per turn (2 entries" },
        { "audit", "--iterations 200 --records 2000 --rounds 1 --batch 500", "PostgreSQL" },
        { "conversation", "--turns 60 --iterations 20 --write-iterations 20 --activations 5 --conversations 50 --idle-turns 4 --next-turns 5", "## Verdicts" },
        { "frontend", "--seconds 1 --warmup 1 --rounds 1 --connections 8 --threads 1", "front end peak memory" },
        { "cli", "--lines 20 --qps 20 --pages 10 --latency-ms 50 --summarize-concurrency 4", "speed-up" },
        { "gateway", "--rate 200 --seconds 1 --warmup 1 --rounds 1 --concurrency 8 --throughput-seconds 1 --conversations 20", "peak memory (VmHWM)" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task The_benchmark_runs_to_its_end(string benchmark, string arguments, string lastPart)
    {
        var (exitCode, output) = await RunAsync([benchmark, .. arguments.Split(' ')]);
        Assert.True(exitCode is 0 or 1, $"exit code {exitCode}:\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.Contains(lastPart, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_benchmark_is_refused_with_the_usage()
    {
        var (exitCode, output) = await RunAsync(["nonsense"]);
        Assert.Equal(1, exitCode);
        Assert.Contains("unknown benchmark 'nonsense'", output, StringComparison.Ordinal);
        Assert.Contains("dotnet run -c Release --project bench -- <benchmark>", output, StringComparison.Ordinal);
    }

    /// <summary>The benchmark's built assembly in this build's configuration, run with <c>dotnet</c>; stdout and stderr
    /// together. Killed (with its children) past <see cref="Bound"/>.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments)
    {
        var start = new ProcessStartInfo(BuiltAssemblies.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BuiltAssemblies.Path("bench", "Parley.Bench"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"bench {string.Join(' ', arguments)} did not end within {Bound}:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
