using System.Globalization;

namespace Parley.Sim.Anthropic;

/// <summary>Where a content block sits in a Messages request, written as Anthropic writes paths in its errors
/// (<c>messages.2.content.0</c>, <c>messages.2.content.0.content.1</c>, <c>system.1</c>). Built into a string only
/// when an error needs it.</summary>
internal readonly record struct FieldPath(string Root, int Message, int Block, int Inner)
{
    public static FieldPath System(int block) => new("system", -1, block, -1);

    public static FieldPath InMessage(int message, int block) => new("messages", message, block, -1);

    /// <summary>A block inside this tool_result block's content.</summary>
    public FieldPath Nested(int inner) => this with { Inner = inner };

    public string Field(string name) => ToString() + "." + name;

    public override string ToString()
    {
        var message = Message >= 0 ? string.Create(CultureInfo.InvariantCulture, $".{Message}.content") : "";
        var inner = Inner >= 0 ? string.Create(CultureInfo.InvariantCulture, $".content.{Inner}") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{Root}{message}.{Block}{inner}");
    }
}
