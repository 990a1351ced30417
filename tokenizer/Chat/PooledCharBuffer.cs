using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Parley.Tokenizer.Chat;

/// <summary>
/// A growable char buffer rented from the shared pool, so that JSON strings are unescaped without allocating a
/// string per field (JsonElement.GetString would allocate one per message part).
/// </summary>
internal struct PooledCharBuffer : IDisposable
{
    private const int InitialSize = 1024;

    private char[]? _array;
    private int _length;

    public readonly ReadOnlySpan<char> Written => _array is null ? default : _array.AsSpan(0, _length);

    public void Clear() => _length = 0;

    /// <summary>Appends the unescaped value of a JSON string element.</summary>
    public void AppendJsonString(JsonElement value)
    {
        // The raw UTF-8 token (quotes and escapes included) bounds the unescaped length: no escape or multi-byte
        // sequence decodes to more UTF-16 chars than it has bytes.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        EnsureFree(raw.Length);
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        _length += reader.CopyString(_array.AsSpan(_length));
    }

    public void Dispose()
    {
        if (_array is not null)
        {
            ArrayPool<char>.Shared.Return(_array);
            _array = null;
        }
    }

    private void EnsureFree(int needed)
    {
        if (_array is not null && _array.Length - _length >= needed)
        {
            return;
        }

        var grown = ArrayPool<char>.Shared.Rent(Math.Max(InitialSize, Math.Max(_length + needed, (_array?.Length ?? 0) * 2)));
        if (_array is not null)
        {
            _array.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<char>.Shared.Return(_array);
        }

        _array = grown;
    }
}
