using System.Text;
using Parley.Policy.Detection;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;

namespace Parley.Policy.Streaming;

/// <summary>Filters one text that arrives in pieces (a streamed reply's content, or one tool call's arguments): restores
/// placeholders to the client's values and applies the output rules, across piece boundaries, holding back only the
/// tail that may still be part of something (a placeholder, a value still growing, the start of a keyword), at most
/// <c>maxHoldBack</c> characters. Everything before that tail is released at once. A private-key block whose end has
/// not arrived is masked from its start and everything up to its end marker is dropped, so it needs no hold-back.
/// Not thread-safe: one per text.</summary>
public sealed class StreamTextFilter
{
    /// <summary>Upstream text already released, kept for what comes before a match (context words, a split header).</summary>
    public const int ContextLength = 128;
    private const int SuppressTailLength = 64;
    private const string PemEnd = "-----END ";
    private const string PemBegin = "-----BEGIN ";
    private const int MaxPemHeader = 72;
    private const string PemKeyTail = "PRIVATE KEY-----";

    private readonly CompiledPolicy? _policy;
    private readonly PseudonymVault? _vault;
    private readonly int _maxHoldBack;
    private readonly bool _escapeForJson;
    private readonly bool _holdsPemHeaders;
    private readonly List<RuleMatch> _matches = [];
    private readonly List<(int Start, int End, string Replacement)> _edits = [];
    private readonly List<(int Start, int End)> _placeholders = [];
    private readonly StringBuilder _output = new();
    // The window scanned: the context (upstream text already released, at most ContextLength) followed by the pending
    // text (held back), in one buffer, so a piece costs no copies of either beyond its own append.
    private char[] _buffer = new char[ContextLength * 2];
    private int _contextLength;
    private int _pendingLength;
    private string? _suppressTail;

    /// <param name="policy">Its output rules apply (null: none).</param>
    /// <param name="vault">Placeholders to restore (null: none, they stay as they are).</param>
    /// <param name="escapeForJson">Restored values are written into JSON text (tool-call arguments): quotes and control
    /// characters are escaped.</param>
    public StreamTextFilter(CompiledPolicy? policy, PseudonymVault? vault, int maxHoldBack, bool escapeForJson = false)
    {
        _policy = policy is { HasOutput: true } ? policy : null;
        _vault = vault is { Count: > 0 } ? vault : null;
        _maxHoldBack = Math.Max(maxHoldBack, Placeholders.MaxLength);
        _escapeForJson = escapeForJson;
        _holdsPemHeaders = _policy is not null && _policy.Rules.Any(r => r.Detector == DetectorKind.PrivateKey && r.OutputAction != PolicyAction.None);
    }

    /// <summary>Whether this filter can change anything at all.</summary>
    public bool IsActive => _policy is not null || _vault is not null;

    /// <summary>The rule that withholds the reply, once a blocked value was seen; nothing more is released then.</summary>
    public PolicyRule? BlockedBy { get; private set; }

    /// <summary>Output matches released so far, per rule (flagged and masked values).</summary>
    public Dictionary<PolicyRule, int> Hits { get; } = [];

    /// <summary>Placeholders restored so far.</summary>
    public int Restored { get; private set; }

    /// <summary>Characters held back right now.</summary>
    public int Held => _pendingLength;

    private ReadOnlySpan<char> Pending => _buffer.AsSpan(_contextLength, _pendingLength);

    /// <summary>Takes the next piece and returns what may be released now (possibly empty).</summary>
    public string Push(ReadOnlySpan<char> piece)
    {
        AppendPending(piece);
        return Release(final: false);
    }

    /// <summary>The text ended: releases what was held back.</summary>
    public string Flush() => Release(final: true);

    /// <summary>Filters a whole text at once.</summary>
    public string Apply(ReadOnlySpan<char> text)
    {
        AppendPending(text);
        return Release(final: true);
    }

    private string Release(bool final)
    {
        _output.Clear();
        Process(final);
        return _output.ToString();
    }

    /// <summary>Appends to <see cref="_output"/> what may be released now.</summary>
    private void Process(bool final)
    {
        if (BlockedBy is not null)
        {
            _pendingLength = 0;
            return;
        }
        if (_suppressTail is not null && !SkipSuppressed())
        {
            return;
        }
        if (_pendingLength == 0)
        {
            return;
        }
        var offset = _contextLength;
        ReadOnlySpan<char> window = _buffer.AsSpan(0, offset + _pendingLength);
        var pending = window[offset..];
        _matches.Clear();
        _policy?.Scan(window, PolicyDirection.Output, _matches, final);
        CompiledPolicy.Merge(_matches);
        foreach (var match in _matches)
        {
            if (match.Action == PolicyAction.Block && match.End > offset)
            {
                BlockedBy = match.Rule;
                _pendingLength = 0;
                return;
            }
        }

        _edits.Clear();
        var hold = final ? pending.Length : HoldFrom(pending);
        var placeholders = FindPlaceholders(pending, _placeholders);
        // Pull the cut back in front of anything it would split, until nothing is split.
        for (var changed = !final; changed;)
        {
            changed = false;
            foreach (var (start, end) in placeholders)
            {
                if (start < hold && end > hold)
                {
                    hold = start;
                    changed = true;
                }
            }
            foreach (var match in _matches)
            {
                var (start, end) = (Math.Max(match.Start - offset, 0), match.End - offset);
                if (end > 0 && !match.Open && start < hold && end > hold)
                {
                    hold = start;
                    changed = true;
                }
            }
        }
        var forced = !final && pending.Length - hold > _maxHoldBack;
        if (forced)
        {
            hold = pending.Length - _maxHoldBack;
        }

        var suppressFrom = -1;
        foreach (var match in _matches)
        {
            var start = Math.Max(match.Start - offset, 0);
            var end = Math.Min(match.End - offset, pending.Length);
            if (end <= 0 || start >= hold || Overlaps(placeholders, start, end))
            {
                continue;
            }
            if (match.Open && match.Action == PolicyAction.Mask)
            {
                // The key's end is not here yet: mask from its start, drop everything until its end marker.
                _edits.Add((start, pending.Length, Masking.Mask("", match.Rule)));
                suppressFrom = start;
                Count(match.Rule);
                break;
            }
            end = Math.Min(end, hold);
            Count(match.Rule);
            if (match.Action == PolicyAction.Mask)
            {
                _edits.Add((start, end, Masking.Mask(pending.Slice(start, end - start), match.Rule)));
            }
        }
        foreach (var (start, end) in placeholders)
        {
            if (end <= hold && _vault is not null && _vault.TryGetValue(pending.Slice(start, end - start), out var value)
                && (suppressFrom < 0 || end <= suppressFrom))
            {
                _edits.Add((start, end, _escapeForJson ? EscapeForJson(value) : value));
                Restored++;
            }
        }
        _edits.Sort(static (a, b) => a.Start.CompareTo(b.Start));

        var released = suppressFrom >= 0 ? pending.Length : hold;
        var at = 0;
        foreach (var (start, end, replacement) in _edits)
        {
            if (start < at)
            {
                continue;
            }
            _output.Append(pending[at..start]).Append(replacement);
            at = end;
        }
        if (at < released)
        {
            _output.Append(pending[at..released]);
        }
        if (suppressFrom >= 0)
        {
            _suppressTail = "";
            DropPending(suppressFrom);
            SkipSuppressed();
            if (_suppressTail is null)
            {
                // The end marker was there after all (the block arrived whole in one piece).
                Process(final);
            }
            return;
        }
        Consume(hold);
    }

    private void AppendPending(ReadOnlySpan<char> text)
    {
        var length = _contextLength + _pendingLength;
        if (length + text.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, length + text.Length));
        }
        text.CopyTo(_buffer.AsSpan(length));
        _pendingLength += text.Length;
    }

    /// <summary>The first <paramref name="count"/> pending characters were released: they join the context (of which
    /// the last <see cref="ContextLength"/> are kept), the rest stays pending.</summary>
    private void Consume(int count)
    {
        var kept = Math.Min(_contextLength + count, ContextLength);
        var from = _contextLength + count - kept;
        if (from > 0)
        {
            _buffer.AsSpan(from, kept + _pendingLength - count).CopyTo(_buffer);
        }
        _contextLength = kept;
        _pendingLength -= count;
    }

    /// <summary>The first <paramref name="count"/> pending characters are dropped; the context stays.</summary>
    private void DropPending(int count)
    {
        _buffer.AsSpan(_contextLength + count, _pendingLength - count).CopyTo(_buffer.AsSpan(_contextLength));
        _pendingLength -= count;
    }

    /// <summary>Drops suppressed text up to a private key's end marker; true once the marker was found (what follows
    /// it is pending again), false while still inside the block.</summary>
    private bool SkipSuppressed()
    {
        var text = string.Concat(_suppressTail, Pending);
        var search = 0;
        while (true)
        {
            var marker = text.IndexOf(PemEnd, search, StringComparison.Ordinal);
            if (marker < 0)
            {
                break;
            }
            var line = marker + PemEnd.Length;
            var tail = text.IndexOf(PemKeyTail, line, Math.Min(text.Length - line, 40 + PemKeyTail.Length), StringComparison.Ordinal);
            if (tail >= 0)
            {
                var end = tail + PemKeyTail.Length;
                _contextLength = 0;
                _pendingLength = 0;
                AppendPending(text.AsSpan(end));
                _suppressTail = null;
                return true;
            }
            search = line;
        }
        _suppressTail = text.Length <= SuppressTailLength ? text : text[^SuppressTailLength..];
        _pendingLength = 0;
        return false;
    }

    private void Count(PolicyRule rule) => Hits[rule] = Hits.GetValueOrDefault(rule) + 1;

    /// <summary>Where the tail that may still grow into something begins: the last run of characters values are made of
    /// (letters, digits, <c>. _ % + - @ : /</c>), extended over groups of digits (or up to four capitals and digits)
    /// joined by single spaces or dashes (cards, phones, IBANs printed in groups); the start of a keyword; the start of
    /// a placeholder.</summary>
    private int HoldFrom(ReadOnlySpan<char> pending)
    {
        var n = pending.Length;
        var h = n;
        while (h > 0 && IsValueChar(TextFold.Fold(pending[h - 1])))
        {
            h--;
        }
        while (h >= 2 && TextFold.Fold(pending[h - 1]) is ' ' or '-')
        {
            var gs = h - 1;
            while (gs > 0 && TextFold.IsAlnum(TextFold.Fold(pending[gs - 1])))
            {
                gs--;
            }
            var group = pending.Slice(gs, h - 1 - gs);
            if (gs > 0 && TextFold.Fold(pending[gs - 1]) == '+')
            {
                gs--;
            }
            if (group.IsEmpty || !(Validators.AllDigits(group) || IsShortCapitalGroup(group)))
            {
                break;
            }
            h = gs;
        }
        if (_policy?.OutputKeywords is { } keywords)
        {
            for (var k = Math.Min(keywords.MaxLength - 1, n); k >= 1; k--)
            {
                var before = n - k > 0 ? pending[n - k - 1] : _contextLength > 0 ? _buffer[_contextLength - 1] : '\0';
                if (keywords.IsPrefixOfAny(pending[(n - k)..], before))
                {
                    h = Math.Min(h, n - k);
                    break;
                }
            }
        }
        for (var i = Math.Max(0, n - Placeholders.MaxLength); i < n; i++)
        {
            if (pending[i] == '<' && Placeholders.IsPrefix(pending[i..]))
            {
                h = Math.Min(h, i);
                break;
            }
        }
        if (_holdsPemHeaders)
        {
            for (var i = Math.Max(0, n - MaxPemHeader); i < n; i++)
            {
                if (pending[i] == '-' && IsPemHeaderPrefix(pending[i..]))
                {
                    h = Math.Min(h, i);
                    break;
                }
            }
        }
        return h;
    }

    /// <summary>Whether <paramref name="tail"/> may still become <c>-----BEGIN [TYPE ]PRIVATE KEY-----</c>: held back
    /// so the header is masked with the key rather than released before it is recognised.</summary>
    private static bool IsPemHeaderPrefix(ReadOnlySpan<char> tail)
    {
        if (tail.Length <= PemBegin.Length)
        {
            return PemBegin.AsSpan().StartsWith(tail);
        }
        if (!tail.StartsWith(PemBegin) || tail.Length > MaxPemHeader)
        {
            return false;
        }
        foreach (var c in tail[PemBegin.Length..])
        {
            if (!char.IsAsciiLetterUpper(c) && c is not (' ' or '-'))
            {
                return false;
            }
        }
        return !tail.EndsWith(PemKeyTail);
    }

    private static bool IsValueChar(char c) => TextFold.IsAlnum(c) || c is '.' or '_' or '%' or '+' or '-' or '@' or ':' or '/';

    private static bool IsShortCapitalGroup(ReadOnlySpan<char> group)
    {
        if (group.Length > 4)
        {
            return false;
        }
        foreach (var c in group)
        {
            var f = TextFold.Fold(c);
            if (!TextFold.IsUpper(f) && !TextFold.IsDigit(f))
            {
                return false;
            }
        }
        return true;
    }

    private static List<(int Start, int End)> FindPlaceholders(ReadOnlySpan<char> text, List<(int Start, int End)> found)
    {
        found.Clear();
        var at = 0;
        int next;
        while ((next = text[at..].IndexOf(Placeholders.Prefix, StringComparison.Ordinal)) >= 0)
        {
            at += next;
            var length = Placeholders.LengthAt(text[at..]);
            if (length > 0)
            {
                found.Add((at, at + length));
                at += length;
            }
            else
            {
                at++;
            }
        }
        return found;
    }

    private static bool Overlaps(List<(int Start, int End)> spans, int start, int end)
    {
        foreach (var (s, e) in spans)
        {
            if (s < end && start < e)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Escapes what would break a JSON string (quotes, control characters); backslashes stay, since a value
    /// taken from JSON text already carries its own escapes.</summary>
    private static string EscapeForJson(string value)
    {
        if (value.AsSpan().IndexOfAny("\"\n\r\t") < 0 && !value.Any(char.IsControl))
        {
            return value;
        }
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
        return builder.ToString();
    }
}
