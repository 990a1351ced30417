namespace Parley.Runtime;

/// <summary>Identity of a grain: its type name (from <see cref="GrainTypeAttribute"/>) and its key.</summary>
public readonly record struct GrainId(string Type, string Key)
{
    public override string ToString() => $"{Type}/{Key}";
}
