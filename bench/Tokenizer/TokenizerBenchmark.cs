using System.Diagnostics;
using System.Globalization;
using System.Text;
using Parley.Tokenizer;

namespace Parley.Bench.Tokenizer;

internal sealed record TokenizerBenchmarkOptions(int SizeMegabytes, int Warmup, int Passes);

/// <summary>
/// Single-thread CountTokens throughput of each encoding on a large mixed text (goal: at least 10 MB/s for
/// o200k_base), and the bytes one pass allocates (goal: nothing per token, so a constant independent of size).
/// </summary>
internal static class TokenizerBenchmark
{
    private const double BytesPerMegabyte = 1024 * 1024;

    public static int Run(TokenizerBenchmarkOptions options)
    {
        var text = MixedText.Build(Repository.Root(), options.SizeMegabytes * (int)BytesPerMegabyte);
        var utf8Bytes = Encoding.UTF8.GetByteCount(text);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Mixed text (English, Chinese, C# from grains/): {utf8Bytes / BytesPerMegabyte:F1} MB UTF-8, {text.Length:N0} chars; {options.Warmup} warm-up + {options.Passes} timed passes, one thread."));
        Console.WriteLine();
        Console.WriteLine("| encoding | tokens | median MB/s | median tokens/s | min ms | max ms | bytes allocated per pass |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");

        var failed = false;
        foreach (var encoding in new[] { TiktokenEncoding.O200kBase, TiktokenEncoding.Cl100kBase })
        {
            var result = Measure(encoding, text, options);
            var seconds = result.MedianSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {encoding.Name} | {result.Tokens:N0} | {utf8Bytes / BytesPerMegabyte / seconds:F1} | {result.Tokens / seconds:N0} | {result.MinSeconds * 1000:F0} | {result.MaxSeconds * 1000:F0} | {result.AllocatedBytes:N0} |"));
            failed |= result.Inconsistent;
        }

        if (failed)
        {
            Console.Error.WriteLine("token counts differed between passes");
            return 1;
        }

        return 0;
    }

    private static Result Measure(TiktokenEncoding encoding, string text, TokenizerBenchmarkOptions options)
    {
        var tokens = 0;
        for (var i = 0; i < options.Warmup; i++)
        {
            tokens = encoding.CountTokens(text);
        }

        // One pass measured alone for allocation so that the Stopwatch and the list below are not counted.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var allocationPassTokens = encoding.CountTokens(text);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var inconsistent = allocationPassTokens != tokens && options.Warmup > 0;

        var seconds = new double[options.Passes];
        for (var i = 0; i < options.Passes; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var count = encoding.CountTokens(text);
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            inconsistent |= count != allocationPassTokens;
        }

        Array.Sort(seconds);
        var median = seconds.Length % 2 == 1
            ? seconds[seconds.Length / 2]
            : (seconds[seconds.Length / 2 - 1] + seconds[seconds.Length / 2]) / 2;
        return new Result(allocationPassTokens, median, seconds[0], seconds[^1], allocated, inconsistent);
    }

    private sealed record Result(int Tokens, double MedianSeconds, double MinSeconds, double MaxSeconds, long AllocatedBytes, bool Inconsistent);
}
