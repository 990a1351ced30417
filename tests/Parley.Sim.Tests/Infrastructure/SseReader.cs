namespace Parley.Sim.Tests.Infrastructure;

/// <summary>Reads server-sent events one at a time from a response stream, as they arrive.</summary>
internal sealed class SseReader(Stream stream) : IDisposable
{
    public const string Done = "[DONE]";

    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event's data, or null at the end of the stream. Asserts the framing: one "data: " line
    /// followed by a blank line.</summary>
    public async Task<string?> NextAsync()
    {
        var line = await _reader.ReadLineAsync();
        if (line is null)
        {
            return null;
        }
        Assert.StartsWith("data: ", line);
        Assert.Equal("", await _reader.ReadLineAsync());
        return line["data: ".Length..];
    }

    /// <summary>Every remaining event's data, up to the end of the stream.</summary>
    public async Task<List<string>> ReadAllAsync()
    {
        var events = new List<string>();
        while (await NextAsync() is { } data)
        {
            events.Add(data);
        }
        return events;
    }

    public void Dispose() => _reader.Dispose();
}
