using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Sim.Tokens;

/// <summary>One encoding as the simulator uses it: the chat-format prompt counter and the byte length of each token,
/// so a reply can be cut at real token boundaries without decoding a token per request.</summary>
public sealed class SimEncoding
{
    // 0 = not looked up yet (no token of these encodings is empty). Filled on first sight of each id, so the hot
    // path stops allocating once the echoed vocabulary is warm; racing writers store the same value.
    private readonly int[] _byteLengths;

    public SimEncoding(TiktokenEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        Encoding = encoding;
        Chat = new ChatTokenCounter(encoding);
        _byteLengths = new int[encoding.NumberOfTokens];
    }

    public TiktokenEncoding Encoding { get; }

    public ChatTokenCounter Chat { get; }

    public string Name => Encoding.Name;

    /// <summary>Length in UTF-8 bytes of <paramref name="token"/>.</summary>
    public int ByteLength(int token)
    {
        var length = Volatile.Read(ref _byteLengths[token]);
        if (length == 0)
        {
            length = Encoding.DecodeToUtf8([token]).Length;
            Volatile.Write(ref _byteLengths[token], length);
        }
        return length;
    }
}
