namespace Parley.Sim.Observability;

/// <summary>How the simulator names a key wherever it could be seen (stats, recorded requests).</summary>
public static class KeyHints
{
    /// <summary>A key shortened so that it identifies the key in test output without revealing it.</summary>
    public static string For(string key) => key.Length switch
    {
        >= 12 => string.Concat(key.AsSpan(0, 3), "...", key.AsSpan(key.Length - 4)),
        >= 6 => string.Concat(key.AsSpan(0, 3), "..."),
        _ => "***",
    };
}
