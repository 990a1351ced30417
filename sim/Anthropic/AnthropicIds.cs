namespace Parley.Sim.Anthropic;

/// <summary>Message and request ids shaped like Anthropic's ("msg_" or "req_" and 24 more characters): a per-process
/// salt, so two simulators never repeat each other's ids, and a counter.</summary>
internal static class AnthropicIds
{
    public const string MessagePrefix = "msg_";
    public const string RequestPrefix = "req_";
    public const string RequestIdHeader = "request-id";
    private const ulong Mask48 = (1UL << 48) - 1;
    private static readonly ulong Salt = (ulong)Random.Shared.NextInt64() & Mask48;
    private static long _counter;

    public static string NextMessage() => Next(MessagePrefix);

    public static string NextRequest() => Next(RequestPrefix);

    private static string Next(string prefix)
    {
        var sequence = (ulong)Interlocked.Increment(ref _counter) & Mask48;
        return string.Create(prefix.Length + 24, (prefix, sequence), static (span, state) =>
        {
            state.prefix.CopyTo(span);
            Salt.TryFormat(span.Slice(state.prefix.Length, 12), out _, "x12");
            state.sequence.TryFormat(span[(state.prefix.Length + 12)..], out _, "x12");
        });
    }
}
