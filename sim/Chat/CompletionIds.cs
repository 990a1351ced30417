namespace Parley.Sim.Chat;

/// <summary>Completion ids shaped like OpenAI's ("chatcmpl-" and 24 more characters): a per-process salt, so two
/// simulators never repeat each other's ids, and a counter.</summary>
internal static class CompletionIds
{
    public const string Prefix = "chatcmpl-";
    private const ulong Mask48 = (1UL << 48) - 1;
    private static readonly ulong Salt = (ulong)Random.Shared.NextInt64() & Mask48;
    private static long _counter;

    public static string Next()
    {
        var sequence = (ulong)Interlocked.Increment(ref _counter) & Mask48;
        return string.Create(Prefix.Length + 24, sequence, static (span, sequence) =>
        {
            Prefix.CopyTo(span);
            Salt.TryFormat(span.Slice(Prefix.Length, 12), out _, "x12");
            sequence.TryFormat(span[(Prefix.Length + 12)..], out _, "x12");
        });
    }
}
