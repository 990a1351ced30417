namespace Parley.ClientApi.Forwarding;

/// <summary>The client's request body as the silo call reads it: first the bytes the front end already holds (the
/// routing peek read them), then the rest of the client's stream. It records whether the client's stream was read:
/// until then the body can be sent again from the start, so a request that failed before the silo took any of it
/// (connection refused, a pooled connection the silo had just closed) can go to the next silo.</summary>
internal sealed class RetryableRequestBody : Stream
{
    private readonly Stream _inner;
    private readonly ReadOnlyMemory<byte> _held;
    private readonly bool _holdsWholeBody;
    private int _position;
    private bool _innerRead;

    /// <param name="inner">The client's body stream (what is left of it after <paramref name="held"/>).</param>
    /// <param name="held">Bytes already read from the client; the caller keeps them alive until the request ends.</param>
    /// <param name="holdsWholeBody">True when <paramref name="held"/> is the whole body.</param>
    public RetryableRequestBody(Stream inner, ReadOnlyMemory<byte> held, bool holdsWholeBody)
    {
        _inner = inner;
        _held = held;
        _holdsWholeBody = holdsWholeBody;
    }

    /// <summary>True while the body can be sent again from its first byte.</summary>
    public bool CanReplay => !_innerRead;

    /// <summary>The front end holds the whole body: it can be sent again however much of it a silo took.</summary>
    public bool HoldsWholeBody => _holdsWholeBody;

    public void Rewind()
    {
        if (_innerRead)
        {
            throw new InvalidOperationException("The request body was streamed to a silo and cannot be sent again.");
        }
        _position = 0;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < _held.Length)
        {
            var count = Math.Min(buffer.Length, _held.Length - _position);
            _held.Span.Slice(_position, count).CopyTo(buffer.Span);
            _position += count;
            return ValueTask.FromResult(count);
        }
        if (_holdsWholeBody)
        {
            return ValueTask.FromResult(0);
        }
        // A zero-byte read only waits for data; it takes nothing from the client's stream.
        if (!buffer.IsEmpty)
        {
            _innerRead = true;
        }
        return _inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The forwarder never reads synchronously; Kestrel would refuse it anyway.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous reads are not supported.");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
