using Parley.Tokenizer;

namespace Parley.Bench.Conversations;

/// <summary>What every conversation of the benchmark shares: its owner, model, encoding and the two budgets.</summary>
internal static class BenchConversations
{
    public const string UserId = "user_bench";
    public const string Model = "parley-sim";
    public const string Encoding = TiktokenEncoding.O200kBaseName;

    /// <summary>Fits every turn of a 1,000-turn conversation (about 300k tokens): all stored messages selected, and the
    /// recorded budget keeps the context far under the summary high-water mark (80 % of it), so no summary starts.</summary>
    public const int AllTurnsBudget = 1_000_000;

    /// <summary>A 128k-token window minus a 4,096-token reply reservation.</summary>
    public const int WindowBudget = 123_904;

    /// <summary>A conversation id of the length the silo gives (<c>conv_</c> and 32 hex digits).</summary>
    public static string Id(string kind, int index) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"conv_{kind}{index:x8}").PadRight(37, '0');
}
