namespace Parley.Sim.Tokens;

/// <summary>How the simulator measures text in tokens, both to count prompts and to cut its own replies into
/// tokens. Kept behind this interface so the approximate counter can be swapped for a real BPE tokenizer.</summary>
public interface ITokenCounter
{
    /// <summary>Length in chars of the token that starts <paramref name="text"/> (which is not empty).</summary>
    int NextTokenLength(ReadOnlySpan<char> text);

    /// <summary>Number of tokens in <paramref name="text"/>.</summary>
    int CountTokens(ReadOnlySpan<char> text);
}
