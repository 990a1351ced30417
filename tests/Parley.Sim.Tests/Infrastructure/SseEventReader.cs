using System.Text.Json;

namespace Parley.Sim.Tests.Infrastructure;

/// <summary>One server-sent event with a name (Anthropic's framing): its event line and its parsed data.</summary>
internal sealed record SseEvent(string Name, JsonElement Data);

/// <summary>Reads named server-sent events ("event: NAME", "data: JSON", blank line) as they arrive.</summary>
internal sealed class SseEventReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event, or null at the end of the stream. Asserts the framing, and that the data's "type"
    /// is the event's name.</summary>
    public async Task<SseEvent?> NextAsync()
    {
        var eventLine = await _reader.ReadLineAsync();
        if (eventLine is null)
        {
            return null;
        }
        Assert.StartsWith("event: ", eventLine);
        var dataLine = await _reader.ReadLineAsync();
        Assert.NotNull(dataLine);
        Assert.StartsWith("data: ", dataLine);
        Assert.Equal("", await _reader.ReadLineAsync());
        var name = eventLine["event: ".Length..];
        using var document = JsonDocument.Parse(dataLine["data: ".Length..]);
        var data = document.RootElement.Clone();
        Assert.Equal(name, data.GetProperty("type").GetString());
        return new SseEvent(name, data);
    }

    /// <summary>Every remaining event, up to the end of the stream.</summary>
    public async Task<List<SseEvent>> ReadAllAsync()
    {
        var events = new List<SseEvent>();
        while (await NextAsync() is { } next)
        {
            events.Add(next);
        }
        return events;
    }

    public void Dispose() => _reader.Dispose();
}
