using System.Text;

namespace Parley.Tokenizer;

public sealed partial class TiktokenEncoding
{
    /// <summary>The text of <paramref name="tokens"/>; bytes that do not form valid UTF-8 (a multi-byte character
    /// cut between tokens) become U+FFFD, as with the reference's <c>decode</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id is not in this encoding.</exception>
    public string Decode(ReadOnlySpan<int> tokens) => Encoding.UTF8.GetString(DecodeToUtf8(tokens));

    /// <summary>The exact bytes of <paramref name="tokens"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id is not in this encoding.</exception>
    public byte[] DecodeToUtf8(ReadOnlySpan<int> tokens)
    {
        var length = 0;
        foreach (var token in tokens)
        {
            length += TokenBytes(token).Length;
        }

        var bytes = new byte[length];
        var written = 0;
        foreach (var token in tokens)
        {
            var part = TokenBytes(token);
            part.CopyTo(bytes.AsSpan(written));
            written += part.Length;
        }

        return bytes;
    }

    /// <summary>True if <paramref name="token"/> is one of this encoding's special tokens.</summary>
    public bool IsSpecialToken(int token) => _specialBytes.ContainsKey(token);

    private ReadOnlySpan<byte> TokenBytes(int token)
    {
        if (_ranks.TryGetBytes(token, out var bytes))
        {
            return bytes;
        }

        return _specialBytes.TryGetValue(token, out var special)
            ? special
            : throw new ArgumentOutOfRangeException(nameof(token), token, $"Token {token} is not in {Name}.");
    }
}
