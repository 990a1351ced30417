using System.Buffers;
using System.Text.Json;

namespace Parley.Sim.Anthropic;

/// <summary>Text gathered from a request's JSON strings in a pooled buffer. A mutable struct: keep it in a field
/// and call it there, never through a copy.</summary>
internal struct PooledText
{
    private char[]? _chars;
    private int _length;

    public readonly ReadOnlySpan<char> Span => _chars.AsSpan(0, _length);

    public readonly bool IsEmpty => _length == 0;

    public void Clear() => _length = 0;

    /// <summary>Appends the reader's current string token (unescaped), on a new line when there is text already.</summary>
    public void AppendLine(ref Utf8JsonReader reader)
    {
        // An unescaped string never has more UTF-16 chars than its UTF-8 bytes.
        var maxChars = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var separator = _length > 0 ? 1 : 0;
        Grow(separator + maxChars);
        if (separator == 1)
        {
            _chars![_length++] = '\n';
        }
        _length += reader.CopyString(_chars.AsSpan(_length));
    }

    public void Return()
    {
        if (_chars is not null)
        {
            ArrayPool<char>.Shared.Return(_chars);
        }
        _chars = null;
        _length = 0;
    }

    private void Grow(int extra)
    {
        var needed = _length + extra;
        if (_chars is not null && needed <= _chars.Length)
        {
            return;
        }
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(needed, 256));
        Span.CopyTo(bigger);
        if (_chars is not null)
        {
            ArrayPool<char>.Shared.Return(_chars);
        }
        _chars = bigger;
    }
}
