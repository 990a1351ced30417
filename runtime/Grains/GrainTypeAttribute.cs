namespace Parley.Runtime;

/// <summary>Names a grain class's type; the name is part of its <see cref="GrainId"/> and its storage keys.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
