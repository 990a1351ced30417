using System.Diagnostics;

namespace Parley.Bench;

/// <summary>Percentiles of Stopwatch-tick samples, in microseconds (nearest-rank, by sorting a copy).</summary>
internal readonly record struct Percentiles(int Count, double P50, double P90, double P99, double Max)
{
    public static Percentiles Of(ReadOnlySpan<long> ticks)
    {
        if (ticks.IsEmpty)
        {
            return new Percentiles(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var sorted = ticks.ToArray();
        Array.Sort(sorted);
        double At(double q) => sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1))] * 1_000_000.0 / Stopwatch.Frequency;
        return new Percentiles(sorted.Length, At(0.50), At(0.90), At(0.99), At(1.0));
    }
}
