using System.Buffers;
using Parley.Policy.Detection;

namespace Parley.Policy.Keywords;

/// <summary>A keyword list matched with <see cref="SearchValues{T}"/> of strings (Aho-Corasick or Teddy inside .NET):
/// ASCII keywords and keywords with other cased letters ignoring case, keywords without letter case (Chinese) ordinally,
/// which keeps .NET on its fastest path for each (twice the throughput of one case-insensitive search over a mixed
/// Chinese/English list, see bench/Policy). Text and keywords are width-folded first (full-width ASCII forms read as ASCII), which keeps
/// every position, so a match's position in the folded text is its position in the original. A keyword that starts
/// (ends) with an ASCII letter or digit matches only where the text has no letter or digit just before (after) it, so
/// "ass" is not found in "class"; keywords in scripts without spaces (Chinese) match anywhere.</summary>
public sealed class KeywordMatcher
{
    // The list in up to three searches, each as fast as its keywords allow: ASCII keywords ignoring case (vectorised
    // paths), keywords without letter case (Chinese) compared ordinally, and the rest ignoring case.
    private readonly SearchValues<string>[] _searches;
    private readonly Dictionary<char, (string Keyword, int Tag)[]> _byFirst;
    // The first characters of every keyword, upper-cased: a tail starting with any other is no keyword's prefix.
    private readonly SearchValues<char> _firstChars;
    private readonly HashSet<string> _prefixes;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _prefixLookup;

    /// <param name="keywords">Keywords and a tag each (the caller's rule); a keyword given twice keeps its first tag.</param>
    public KeywordMatcher(IEnumerable<(string Keyword, int Tag)> keywords)
    {
        var unique = new Dictionary<string, (string Keyword, int Tag)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyword, tag) in keywords)
        {
            var folded = TextFold.Fold(keyword.Trim());
            if (folded.Length > 0)
            {
                unique.TryAdd(folded, (folded, tag));
            }
        }
        if (unique.Count == 0)
        {
            throw new ArgumentException("At least one non-empty keyword is needed.", nameof(keywords));
        }
        var ascii = unique.Keys.Where(k => System.Text.Ascii.IsValid(k)).ToArray();
        var caseless = unique.Keys.Where(k => !System.Text.Ascii.IsValid(k) && k == k.ToUpperInvariant() && k == k.ToLowerInvariant()).ToArray();
        var cased = unique.Keys.Except(ascii).Except(caseless).ToArray();
        _searches = new[] { (ascii, StringComparison.OrdinalIgnoreCase), (caseless, StringComparison.Ordinal), (cased, StringComparison.OrdinalIgnoreCase) }
            .Where(g => g.Item1.Length > 0).Select(g => SearchValues.Create(g.Item1, g.Item2)).ToArray();
        _byFirst = unique.Values.GroupBy(k => char.ToUpperInvariant(k.Keyword[0]))
            .ToDictionary(g => g.Key, g => g.OrderByDescending(k => k.Keyword.Length).ToArray());
        MaxLength = unique.Keys.Max(k => k.Length);
        _firstChars = SearchValues.Create([.. _byFirst.Keys]);
        _prefixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var keyword in unique.Keys)
        {
            var upper = keyword.ToUpperInvariant();
            for (var length = 1; length < upper.Length; length++)
            {
                _prefixes.Add(upper[..length]);
            }
        }
        _prefixLookup = _prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = unique.Count;
    }

    public int Count { get; }

    /// <summary>The longest keyword's length in UTF-16 units.</summary>
    public int MaxLength { get; }

    /// <summary>Appends every match (start, length, tag), left to right, not overlapping (the longest keyword at a position wins).</summary>
    public void Find(ReadOnlySpan<char> text, List<(int Start, int Length, int Tag)> matches)
    {
        char[]? rented = null;
        var haystack = text;
        if (TextFold.NeedsFolding(text))
        {
            rented = ArrayPool<char>.Shared.Rent(text.Length);
            TextFold.Fold(text, rented);
            haystack = rented.AsSpan(0, text.Length);
        }
        try
        {
            // The next occurrence of each search at or after pos (int.MaxValue: none left); the leftmost of them is the
            // leftmost occurrence of any keyword.
            Span<int> next = stackalloc int[_searches.Length];
            next.Fill(-1);
            var pos = 0;
            while (pos < haystack.Length)
            {
                var i = int.MaxValue;
                for (var s = 0; s < _searches.Length; s++)
                {
                    if (next[s] < pos)
                    {
                        var relative = haystack[pos..].IndexOfAny(_searches[s]);
                        next[s] = relative < 0 ? int.MaxValue : pos + relative;
                    }
                    i = Math.Min(i, next[s]);
                }
                if (i == int.MaxValue)
                {
                    return;
                }
                pos = i + 1;
                if (!_byFirst.TryGetValue(char.ToUpperInvariant(haystack[i]), out var candidates))
                {
                    continue;
                }
                foreach (var (keyword, tag) in candidates)
                {
                    if (haystack[i..].StartsWith(keyword, StringComparison.OrdinalIgnoreCase) && AtBoundaries(haystack, i, keyword))
                    {
                        matches.Add((i, keyword.Length, tag));
                        pos = i + keyword.Length;
                        break;
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether <paramref name="tail"/> (the end of a text that may continue) is the beginning of a keyword that
    /// could match there, so a stream must hold it back. <paramref name="before"/> is the character before it ('\0' at the
    /// start of the text): a keyword starting with an ASCII letter or digit matches only where that is neither.</summary>
    public bool IsPrefixOfAny(ReadOnlySpan<char> tail, char before = '\0')
    {
        if (tail.Length == 0 || tail.Length >= MaxLength)
        {
            return false;
        }
        var first = TextFold.Fold(tail[0]);
        if ((char.IsAsciiLetterOrDigit(first) && char.IsAsciiLetterOrDigit(TextFold.Fold(before))) || !_firstChars.Contains(char.ToUpperInvariant(first)))
        {
            return false;
        }
        Span<char> upper = stackalloc char[tail.Length];
        for (var i = 0; i < tail.Length; i++)
        {
            upper[i] = char.ToUpperInvariant(TextFold.Fold(tail[i]));
        }
        return _prefixLookup.Contains(upper);
    }

    private static bool AtBoundaries(ReadOnlySpan<char> text, int start, string keyword)
    {
        if (char.IsAsciiLetterOrDigit(keyword[0]) && start > 0 && char.IsAsciiLetterOrDigit(text[start - 1]))
        {
            return false;
        }
        var end = start + keyword.Length;
        return !(char.IsAsciiLetterOrDigit(keyword[^1]) && end < text.Length && char.IsAsciiLetterOrDigit(text[end]));
    }
}
