using System.Buffers;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Bytes written at the back and consumed from the front, in one array rented from the pool: the stream
/// translator's unparsed input and its translated output. Consumed room is reclaimed by moving the unread bytes to
/// the front when more room is needed, so the array only grows for a single event larger than it.</summary>
internal sealed class PooledByteQueue(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    private int _start;
    private int _end;

    public int Length => _end - _start;

    public ReadOnlySpan<byte> Readable => _buffer.AsSpan(_start, _end - _start);

    public void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _end);
        _end += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_end);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_end);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _end >= needed)
        {
            return;
        }
        var length = Length;
        if (_buffer.Length - length >= needed)
        {
            _buffer.AsSpan(_start, length).CopyTo(_buffer);
        }
        else
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, length + needed));
            _buffer.AsSpan(_start, length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
        _start = 0;
        _end = length;
    }
}
