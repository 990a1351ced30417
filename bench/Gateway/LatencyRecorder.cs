namespace Parley.Bench.Gateway;

/// <summary>Latency samples of one run, in Stopwatch ticks; percentiles by sorting (runs are at most a few 100k samples).</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly long[] _samples = new long[capacity];
    private int _count;
    private int _failures;

    public int Count => Volatile.Read(ref _count);

    public int Failures => Volatile.Read(ref _failures);

    public void Record(long ticks)
    {
        var index = Interlocked.Increment(ref _count) - 1;
        if (index < _samples.Length)
        {
            _samples[index] = ticks;
        }
    }

    public void RecordFailure() => Interlocked.Increment(ref _failures);

    public LatencySummary Summarise(TimeSpan elapsed)
    {
        var n = Math.Min(_count, _samples.Length);
        var sorted = _samples.AsSpan(0, n).ToArray();
        Array.Sort(sorted);
        double Ms(double q) => n == 0 ? double.NaN : sorted[Math.Min(n - 1, (int)Math.Ceiling(q * n) - 1)] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        return new LatencySummary(n, _failures, Ms(0.50), Ms(0.99), Ms(1.0), n / elapsed.TotalSeconds);
    }
}

internal readonly record struct LatencySummary(int Requests, int Failures, double P50Ms, double P99Ms, double MaxMs, double RequestsPerSecond);
