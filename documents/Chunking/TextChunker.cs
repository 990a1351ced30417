using System.Text.RegularExpressions;
using Parley.Tokenizer;

namespace Parley.Documents.Chunking;

/// <summary>Cuts a long text into chunks of at most N tokens, counted exactly with the model's encoding. A chunk is
/// always a contiguous slice of the document made of whole paragraphs; a paragraph too long for one chunk is cut at
/// sentence ends, a sentence too long at spaces, and a single word too long between characters. Chunks after the
/// first begin with the last whole sentences (up to the overlap) of the one before, so a fact cut by a chunk border
/// is still seen whole once.</summary>
public sealed partial class TextChunker(TiktokenEncoding encoding, ChunkingOptions options)
{
    private readonly TiktokenEncoding _encoding = encoding ?? throw new ArgumentNullException(nameof(encoding));
    private readonly ChunkingOptions _options = Validated(options);

    /// <summary>Line ends become <c>\n</c>; offsets in the chunks refer to the text so normalised.</summary>
    public static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    public IReadOnlyList<TextChunk> Chunk(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var document = Normalize(text);
        var units = Units(document);
        var chunks = new List<TextChunk>();
        var first = 0;
        var overlapStart = 0;
        while (first < units.Count)
        {
            var start = Math.Min(overlapStart, first);
            // The overlap gives way when it leaves no room for the first new unit.
            while (start < first && Count(document, units[start].Start, units[first].End) > _options.MaxTokens)
            {
                start++;
            }
            var last = first;
            while (last + 1 < units.Count && Count(document, units[start].Start, units[last + 1].End) <= _options.MaxTokens)
            {
                last++;
            }
            var slice = document[units[start].Start..units[last].End];
            var overlapTokens = start < first ? Count(document, units[start].Start, units[first - 1].End) : 0;
            chunks.Add(new TextChunk(chunks.Count, slice, _encoding.CountTokens(slice), units[first].Start, units[last].End, overlapTokens));
            overlapStart = OverlapStart(document, units, first, last);
            first = last + 1;
        }
        return chunks;
    }

    /// <summary>The first unit of the trailing run of [first, last] that fits the overlap; last + 1 when none does.</summary>
    private int OverlapStart(string document, List<Span> units, int first, int last)
    {
        if (_options.OverlapTokens == 0)
        {
            return last + 1;
        }
        var start = last + 1;
        // Never the whole chunk again: at least its first unit is new to the next chunk's reader.
        while (start - 1 > first && Count(document, units[start - 1].Start, units[last].End) <= _options.OverlapTokens)
        {
            start--;
        }
        return start;
    }

    /// <summary>The document as a list of slices that each fit a chunk: paragraphs, else sentences, else runs of
    /// words, else runs of characters.</summary>
    private List<Span> Units(string document)
    {
        var units = new List<Span>();
        foreach (var paragraph in Trimmed(document, ParagraphBreak().Split(document), 0))
        {
            if (Fits(document, paragraph))
            {
                units.Add(paragraph);
                continue;
            }
            foreach (var sentence in Sentences(document, paragraph))
            {
                if (Fits(document, sentence))
                {
                    units.Add(sentence);
                    continue;
                }
                SplitAtSpaces(document, sentence, units);
            }
        }
        return units;
    }

    private bool Fits(string document, Span span) => Count(document, span.Start, span.End) <= _options.MaxTokens;

    private int Count(string document, int start, int end) => _encoding.CountTokens(document.AsSpan(start, end - start));

    private static IEnumerable<Span> Sentences(string document, Span paragraph)
    {
        var start = paragraph.Start;
        for (var end = SentenceEnd().Match(document, paragraph.Start, paragraph.End - paragraph.Start); end.Success; end = end.NextMatch())
        {
            var stop = end.Index + end.Length;
            if (stop > start && stop < paragraph.End)
            {
                if (TrimSpan(document, start, stop) is { } sentence)
                {
                    yield return sentence;
                }
                start = stop;
            }
        }
        if (TrimSpan(document, start, paragraph.End) is { } rest)
        {
            yield return rest;
        }
    }

    /// <summary>Greedy runs of words that fit; a word alone too long is cut between characters.</summary>
    private void SplitAtSpaces(string document, Span sentence, List<Span> units)
    {
        var start = sentence.Start;
        while (start < sentence.End)
        {
            var end = start;
            var next = NextWordEnd(document, end, sentence.End);
            if (Count(document, start, next) > _options.MaxTokens)
            {
                end = LongestCharRun(document, start, next);
            }
            else
            {
                end = next;
                while (end < sentence.End)
                {
                    next = NextWordEnd(document, end, sentence.End);
                    if (Count(document, start, next) > _options.MaxTokens)
                    {
                        break;
                    }
                    end = next;
                }
            }
            units.Add(new Span(start, end));
            start = end;
            while (start < sentence.End && char.IsWhiteSpace(document[start]))
            {
                start++;
            }
        }
    }

    private static int NextWordEnd(string document, int from, int limit)
    {
        var i = from;
        while (i < limit && char.IsWhiteSpace(document[i]))
        {
            i++;
        }
        while (i < limit && !char.IsWhiteSpace(document[i]))
        {
            i++;
        }
        return i;
    }

    /// <summary>The longest prefix of [start, end) that fits, never splitting a surrogate pair; at least one character.</summary>
    private int LongestCharRun(string document, int start, int end)
    {
        int low = start + 1, high = end;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (Count(document, start, middle) <= _options.MaxTokens)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        if (low < end && char.IsLowSurrogate(document[low]) && low - 1 > start)
        {
            low--;
        }
        return low;
    }

    private static IEnumerable<Span> Trimmed(string document, string[] parts, int offset)
    {
        foreach (var part in parts)
        {
            var start = document.IndexOf(part, offset, StringComparison.Ordinal);
            offset = start + part.Length;
            if (TrimSpan(document, start, offset) is { } span)
            {
                yield return span;
            }
        }
    }

    private static Span? TrimSpan(string document, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(document[start]))
        {
            start++;
        }
        while (end > start && char.IsWhiteSpace(document[end - 1]))
        {
            end--;
        }
        return end > start ? new Span(start, end) : null;
    }

    private static ChunkingOptions Validated(ChunkingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    [GeneratedRegex(@"\n[ \t]*\n\s*")]
    private static partial Regex ParagraphBreak();

    /// <summary>A sentence ends at . ! ? or … (with closing quotes or brackets) before white space, or at a CJK full
    /// stop, exclamation or question mark.</summary>
    [GeneratedRegex(@"[.!?…]+[""'”’)\]]*(?=\s)|[。！？]+")]
    private static partial Regex SentenceEnd();

    private readonly record struct Span(int Start, int End);
}
