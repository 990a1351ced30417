namespace Parley.ClientApi.Forwarding;

/// <summary>Wraps the client's request body for the silo call and records whether any of it was read. A request
/// whose body was never touched can safely go to another silo; once a byte has left, it cannot be replayed (the
/// body is streamed, not buffered). Disposing it leaves the client's stream open, because every attempt's
/// <see cref="StreamContent"/> disposes its stream.</summary>
internal sealed class ObservedRequestStream(Stream inner) : Stream
{
    private int _started;

    public bool HasStarted => Volatile.Read(ref _started) != 0;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _started, 1);
        return inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _started, 1);
        return inner.CopyToAsync(destination, bufferSize, cancellationToken);
    }

    // The forwarder never does synchronous I/O; Kestrel would reject it anyway.
    public override int Read(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("Synchronous reads are not supported.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
