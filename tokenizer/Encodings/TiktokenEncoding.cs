using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace Parley.Tokenizer;

/// <summary>
/// A byte-pair encoding that reproduces OpenAI's tiktoken token for token (<c>cl100k_base</c>,
/// <c>o200k_base</c>). Instances are immutable and thread-safe; <see cref="Get"/> loads each encoding once per
/// process. Special tokens such as <c>&lt;|endoftext|&gt;</c> are encoded as ordinary text unless
/// <c>allowSpecialTokens</c> is true (tiktoken's <c>encode_ordinary</c> versus <c>allowed_special="all"</c>).
/// </summary>
public sealed partial class TiktokenEncoding
{
    public const string Cl100kBaseName = "cl100k_base";
    public const string O200kBaseName = "o200k_base";

    // Pieces are usually a word; their UTF-8 fits on the stack, and longer ones borrow a pooled buffer.
    private const int StackPieceBytes = 1024;
    private const int MaxUtf8BytesPerUtf16Unit = 3;

    private static readonly Lazy<TiktokenEncoding> s_cl100kBase =
        new(() => Load(EncodingDefinition.Cl100kBase), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<TiktokenEncoding> s_o200kBase =
        new(() => Load(EncodingDefinition.O200kBase), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly RankTable _ranks;
    private readonly PreTokenizer _preTokenizer;
    private readonly (string Text, int Token)[] _specials;
    private readonly Dictionary<int, byte[]> _specialBytes;

    private TiktokenEncoding(EncodingDefinition definition, RankTable ranks)
    {
        Name = definition.Name;
        Pattern = definition.Pattern;
        SpecialTokens = definition.SpecialTokens;
        _ranks = ranks;
        _preTokenizer = definition.PreTokenizer;
        _specials = definition.SpecialTokens.Select(pair => (pair.Key, pair.Value))
            .OrderByDescending(pair => pair.Key.Length).ToArray();
        _specialBytes = definition.SpecialTokens.ToDictionary(pair => pair.Value, pair => Encoding.UTF8.GetBytes(pair.Key));
        NumberOfTokens = Math.Max(ranks.RankLimit, definition.SpecialTokens.Values.Max() + 1);
    }

    /// <summary>The encoding's name, e.g. <c>o200k_base</c>.</summary>
    public string Name { get; }

    /// <summary>The split pattern this encoding pre-tokenises with (as published; evaluated by a hand-written
    /// equivalent).</summary>
    public string Pattern { get; }

    /// <summary>Special tokens and their ids.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>One more than the highest token id, special tokens included (tiktoken's <c>n_vocab</c>).</summary>
    public int NumberOfTokens { get; }

    /// <summary>cl100k_base (GPT-4, GPT-3.5).</summary>
    public static TiktokenEncoding Cl100kBase => s_cl100kBase.Value;

    /// <summary>o200k_base (GPT-4o, GPT-4.1, GPT-5, o-series).</summary>
    public static TiktokenEncoding O200kBase => s_o200kBase.Value;

    /// <summary>The encoding named <paramref name="name"/>, loaded on first use.</summary>
    /// <exception cref="ArgumentException">The name is not a supported encoding.</exception>
    public static TiktokenEncoding Get(string name) => TryGet(name, out var encoding)
        ? encoding
        : throw new ArgumentException($"Unknown encoding '{name}'; supported: {Cl100kBaseName}, {O200kBaseName}.", nameof(name));

    public static bool TryGet(string? name, [NotNullWhen(true)] out TiktokenEncoding? encoding)
    {
        encoding = name switch
        {
            not null when name.Equals(O200kBaseName, StringComparison.OrdinalIgnoreCase) => s_o200kBase.Value,
            not null when name.Equals(Cl100kBaseName, StringComparison.OrdinalIgnoreCase) => s_cl100kBase.Value,
            _ => null,
        };
        return encoding is not null;
    }

    /// <summary>Number of tokens <paramref name="text"/> encodes to, without materialising them.</summary>
    public int CountTokens(ReadOnlySpan<char> text, bool allowSpecialTokens = false)
    {
        var sink = new CountingSink();
        EncodeCore(text, allowSpecialTokens, ref sink);
        return sink.Count;
    }

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="destination"/>.</summary>
    /// <returns>How many tokens were appended.</returns>
    public int Encode(ReadOnlySpan<char> text, ICollection<int> destination, bool allowSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var before = destination.Count;
        var sink = new CollectionSink(destination);
        EncodeCore(text, allowSpecialTokens, ref sink);
        return destination.Count - before;
    }

    /// <summary>Writes the tokens of <paramref name="text"/> to <paramref name="destination"/>; false (with
    /// <paramref name="written"/> tokens written) if it is too small.</summary>
    public bool TryEncode(ReadOnlySpan<char> text, Span<int> destination, out int written, bool allowSpecialTokens = false)
    {
        var sink = new SpanSink(destination);
        EncodeCore(text, allowSpecialTokens, ref sink);
        written = sink.Written;
        return !sink.Overflowed;
    }

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    public IReadOnlyList<int> Encode(string text, bool allowSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<int>(text.Length / 3 + 1);
        Encode(text.AsSpan(), tokens, allowSpecialTokens);
        return tokens;
    }

    private static TiktokenEncoding Load(EncodingDefinition definition)
    {
        var ranks = RankFileLoader.Load(definition.Name);
        if (ranks.Count != definition.ExpectedTokenCount)
        {
            throw new InvalidDataException(
                $"The {definition.Name} rank file holds {ranks.Count} tokens; expected {definition.ExpectedTokenCount}.");
        }

        for (var value = 0; value < 256; value++)
        {
            if (ranks.RankOfByte((byte)value) == RankTable.NoRank)
            {
                throw new InvalidDataException($"The {definition.Name} rank file has no token for byte {value}.");
            }
        }

        return new TiktokenEncoding(definition, ranks);
    }

    private bool EncodeCore<TSink>(ReadOnlySpan<char> text, bool allowSpecialTokens, ref TSink sink)
        where TSink : ITokenSink, allows ref struct
    {
        if (!allowSpecialTokens)
        {
            return EncodeOrdinary(text, ref sink);
        }

        // As the reference does: split the text at special tokens and encode the stretches between them on
        // their own, so a stretch's last piece never reaches into the special token.
        while (true)
        {
            var index = FindSpecial(text, out var token, out var length);
            if (index < 0)
            {
                return EncodeOrdinary(text, ref sink);
            }

            if (!EncodeOrdinary(text[..index], ref sink) || !sink.Add(token))
            {
                return false;
            }

            text = text[(index + length)..];
        }
    }

    private int FindSpecial(ReadOnlySpan<char> text, out int token, out int length)
    {
        var offset = 0;
        while (true)
        {
            // Every special token of these encodings starts with "<|".
            var index = text[offset..].IndexOf("<|", StringComparison.Ordinal);
            if (index < 0)
            {
                token = length = 0;
                return -1;
            }

            index += offset;
            foreach (var (special, id) in _specials)
            {
                if (text[index..].StartsWith(special, StringComparison.Ordinal))
                {
                    token = id;
                    length = special.Length;
                    return index;
                }
            }

            offset = index + 1;
        }
    }

    private bool EncodeOrdinary<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : ITokenSink, allows ref struct
    {
        Span<byte> stackBuffer = stackalloc byte[StackPieceBytes];
        byte[]? rented = null;
        try
        {
            var position = 0;
            while (position < text.Length)
            {
                var end = _preTokenizer.NextPieceEnd(text, position);
                var piece = text[position..end];
                position = end;

                var buffer = stackBuffer;
                var maxBytes = piece.Length * MaxUtf8BytesPerUtf16Unit;
                if (maxBytes > buffer.Length)
                {
                    if (rented is null || rented.Length < maxBytes)
                    {
                        if (rented is not null)
                        {
                            ArrayPool<byte>.Shared.Return(rented);
                        }

                        rented = ArrayPool<byte>.Shared.Rent(maxBytes);
                    }

                    buffer = rented;
                }

                // Lone surrogates become U+FFFD, as the reference does when a string cannot be encoded.
                Utf8.FromUtf16(piece, buffer, out _, out var byteCount, replaceInvalidSequences: true);
                if (!BytePairMerger.Encode(_ranks, buffer[..byteCount], ref sink))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
