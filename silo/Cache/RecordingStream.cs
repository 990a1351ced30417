using System.Buffers;
using Parley.Silo.Chat;

namespace Parley.Silo.Cache;

/// <summary>A read-only pass-through over an upstream body that keeps a copy of what was read, up to a limit, in a
/// pooled buffer. Past the limit it stops copying (and frees the copy) but keeps passing bytes through.
/// Disposing the stream (a <c>PipeReader</c> does when it completes) disposes the upstream body but keeps the copy:
/// <see cref="ResponseCache.StoreAsync"/> releases it, or <see cref="ReleaseRecording"/> when the answer is not stored.</summary>
internal sealed class RecordingStream : ReadOnlyStream
{
    private const int InitialCapacity = 16 * 1024;

    private readonly Stream _inner;
    private readonly int _maxBytes;
    private byte[]? _buffer;
    private int _length;
    private bool _released;

    public RecordingStream(Stream inner, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        _inner = inner;
        _maxBytes = maxBytes;
    }

    /// <summary>A read returned 0 bytes: the whole body went through.</summary>
    public bool SawEnd { get; private set; }

    /// <summary>The body grew past the limit, so the copy was dropped.</summary>
    public bool ExceededLimit { get; private set; }

    /// <summary>The complete body, when it went through whole and within the limit.</summary>
    public bool IsComplete => SawEnd && !ExceededLimit && !_released;

    public int RecordedLength => _released ? 0 : _length;

    /// <summary>The copy so far; empty once released. Valid until <see cref="ReleaseRecording"/>.</summary>
    public ReadOnlySpan<byte> Recorded => _buffer is null ? default : _buffer.AsSpan(0, _length);


    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = _inner.ReadAsync(buffer, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var count = read.Result;
            Capture(buffer.Span[..count], buffer.Length);
            return new ValueTask<int>(count);
        }
        return AwaitRead(read, buffer);
    }

    public override int Read(Span<byte> buffer)
    {
        var count = _inner.Read(buffer);
        Capture(buffer[..count], buffer.Length);
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Returns the copy to the pool; later reads still pass through but are not copied. Idempotent.</summary>
    public void ReleaseRecording()
    {
        _released = true;
        ReturnBuffer();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _inner.DisposeAsync();
    }

    private async ValueTask<int> AwaitRead(ValueTask<int> read, Memory<byte> buffer)
    {
        var count = await read.ConfigureAwait(false);
        Capture(buffer.Span[..count], buffer.Length);
        return count;
    }

    private void Capture(ReadOnlySpan<byte> data, int requested)
    {
        if (data.IsEmpty)
        {
            // A zero-length read proves nothing; only a read that asked for bytes and got none is the end.
            SawEnd |= requested > 0;
            return;
        }
        if (_released || ExceededLimit)
        {
            return;
        }
        if (data.Length > _maxBytes - _length)
        {
            ExceededLimit = true;
            ReturnBuffer();
            return;
        }
        EnsureCapacity(_length + data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    private void EnsureCapacity(int needed)
    {
        if (_buffer is not null && _buffer.Length >= needed)
        {
            return;
        }
        var capacity = Math.Min(Math.Max(needed, Math.Max(InitialCapacity, (_buffer?.Length ?? 0) * 2)), Math.Max(needed, _maxBytes));
        var grown = ArrayPool<byte>.Shared.Rent(capacity);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = grown;
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _length = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
