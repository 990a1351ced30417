namespace Parley.Silo.Batches;

/// <summary>Ids of files (<c>file-</c> + 32 hex digits) and batches (<c>batch_</c> + 32 hex digits). A route refuses any
/// other shape before a store or grain is addressed by it.</summary>
internal static class BatchIds
{
    public const string FilePrefix = "file-";
    public const string BatchPrefix = "batch_";

    public static string NewFile() => FilePrefix + Guid.NewGuid().ToString("N");

    public static string NewBatch() => BatchPrefix + Guid.NewGuid().ToString("N");

    public static bool IsFile(string? id) => Is(id, FilePrefix);

    public static bool IsBatch(string? id) => Is(id, BatchPrefix);

    /// <summary>Whether <paramref name="id"/> is <paramref name="prefix"/> followed by 32 lower-case hex digits.</summary>
    public static bool Is(string? id, string prefix)
        => id is not null && id.Length == prefix.Length + 32 && id.StartsWith(prefix, StringComparison.Ordinal)
            && id.AsSpan(prefix.Length).IndexOfAnyExcept("0123456789abcdef") < 0;
}
