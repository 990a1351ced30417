using System.Buffers;
using Parley.Silo.Chat;

namespace Parley.Silo.Resilience;

/// <summary>A body whose first bytes were read before the answer was committed to (to know the upstream really
/// answered): those bytes, then the rest of the upstream stream. Read-only, forward-only.</summary>
internal sealed class PeekedStream : ReadOnlyStream
{
    private const int PeekBytes = 4096;

    private readonly Stream _inner;
    private byte[]? _prefix;
    private int _offset;
    private readonly int _length;

    private PeekedStream(Stream inner, byte[] prefix, int length)
    {
        _inner = inner;
        _prefix = prefix;
        _length = length;
    }

    /// <summary>Reads the first bytes of <paramref name="inner"/>; null (the stream disposed) when it ended at once.</summary>
    public static async ValueTask<PeekedStream?> PeekAsync(Stream inner, CancellationToken cancellationToken)
    {
        var prefix = ArrayPool<byte>.Shared.Rent(PeekBytes);
        try
        {
            var read = await inner.ReadAsync(prefix.AsMemory(0, PeekBytes), cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                return new PeekedStream(inner, prefix, read);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(prefix);
            await inner.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        ArrayPool<byte>.Shared.Return(prefix);
        await inner.DisposeAsync().ConfigureAwait(false);
        return null;
    }


    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefix is { } prefix)
        {
            var count = Math.Min(buffer.Length, _length - _offset);
            prefix.AsSpan(_offset, count).CopyTo(buffer.Span);
            _offset += count;
            if (_offset == _length)
            {
                _prefix = null;
                ArrayPool<byte>.Shared.Return(prefix);
            }
            return ValueTask.FromResult(count);
        }
        return _inner.ReadAsync(buffer, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (Interlocked.Exchange(ref _prefix, null) is { } prefix)
            {
                ArrayPool<byte>.Shared.Return(prefix);
            }
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
