using System.Text.Json.Serialization;

namespace Parley.Runtime.Tests;

public sealed class CounterState
{
    public int Count { get; set; }
    public List<string> Items { get; set; } = [];
}

public sealed class NoteState
{
    public string Text { get; set; } = "";
}

/// <summary>Deliberately not in <see cref="TestJsonContext"/>.</summary>
public sealed class UnregisteredState
{
    public int Value { get; set; }
}

[JsonSerializable(typeof(CounterState))]
[JsonSerializable(typeof(NoteState))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
