namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>An upstream body that hands out its bytes in reads of chosen sizes, as a network does, and can fail where
/// a connection would.</summary>
internal sealed class ChunkedStream(byte[] content, Func<int, int> readSize, Exception? failAtEnd = null) : Stream
{
    private int _position;

    public bool Disposed { get; private set; }

    /// <summary>Every read returns one byte: every event is split at every boundary.</summary>
    public static ChunkedStream ByteByByte(byte[] content, Exception? failAtEnd = null) => new(content, _ => 1, failAtEnd);

    /// <summary>Two reads, split at <paramref name="split"/>.</summary>
    public static ChunkedStream SplitAt(byte[] content, int split) => new(content, position => position < split ? split - position : content.Length - position);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position == content.Length)
        {
            return failAtEnd is null ? ValueTask.FromResult(0) : ValueTask.FromException<int>(failAtEnd);
        }
        var count = Math.Min(Math.Min(Math.Max(readSize(_position), 1), buffer.Length), content.Length - _position);
        content.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return ValueTask.FromResult(count);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
