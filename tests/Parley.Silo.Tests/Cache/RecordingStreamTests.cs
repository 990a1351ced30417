using System.Text;
using Parley.Silo.Cache;
using Xunit;

namespace Parley.Silo.Tests.Cache;

public sealed class RecordingStreamTests
{
    private static byte[] Bytes(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Passes_every_byte_through_and_records_the_same_bytes(int readSize)
    {
        var body = Bytes(50_000);
        var stream = new RecordingStream(new MemoryStream(body), maxBytes: 50_000);
        var relayed = await CacheTestKit.DrainAsync(stream, readSize);
        Assert.Equal(body, relayed);
        Assert.True(stream.SawEnd);
        Assert.False(stream.ExceededLimit);
        Assert.True(stream.IsComplete);
        Assert.Equal(body, stream.Recorded.ToArray());
    }

    [Fact]
    public async Task Past_the_limit_the_copy_is_dropped_but_the_body_still_passes_through()
    {
        var body = Bytes(1001);
        var stream = new RecordingStream(new MemoryStream(body), maxBytes: 1000);
        Assert.Equal(body, await CacheTestKit.DrainAsync(stream, 100));
        Assert.True(stream.SawEnd);
        Assert.True(stream.ExceededLimit);
        Assert.False(stream.IsComplete);
        Assert.Equal(0, stream.RecordedLength);
    }

    [Fact]
    public async Task A_body_read_only_in_part_is_not_complete()
    {
        var stream = new RecordingStream(new MemoryStream(Bytes(100)), maxBytes: 1000);
        var buffer = new byte[60];
        Assert.Equal(60, await stream.ReadAsync(buffer));
        Assert.False(stream.SawEnd);
        Assert.False(stream.IsComplete);
        Assert.Equal(60, stream.RecordedLength);
    }

    [Fact]
    public async Task A_zero_length_read_is_not_the_end()
    {
        var stream = new RecordingStream(new MemoryStream(Bytes(10)), maxBytes: 1000);
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.False(stream.SawEnd);
    }

    [Fact]
    public async Task Disposing_closes_the_upstream_body_but_keeps_the_recording_until_released()
    {
        var inner = new MemoryStream(Encoding.UTF8.GetBytes("{\"id\":1}"));
        var stream = new RecordingStream(inner, maxBytes: 1000);
        await CacheTestKit.DrainAsync(stream);
        await stream.DisposeAsync();
        Assert.False(inner.CanRead);
        Assert.Equal("{\"id\":1}", Encoding.UTF8.GetString(stream.Recorded));
        stream.ReleaseRecording();
        stream.ReleaseRecording();
        Assert.Equal(0, stream.RecordedLength);
        Assert.False(stream.IsComplete);
    }

    [Fact]
    public void The_stream_is_read_only()
    {
        using var stream = new RecordingStream(new MemoryStream(Bytes(10)), maxBytes: 100);
        Assert.True(stream.CanRead);
        Assert.False(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1], 0, 1));
    }
}
